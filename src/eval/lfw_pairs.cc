#include "eval/lfw_pairs.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace facekit::eval {

Result<LfwPairs> ParseLfwPairs(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  LfwPairs out;
  if (!std::getline(in, line)) return Status(StatusCode::kInvalidArgument, "pairs file is empty");
  {
    std::istringstream h(line);
    int a = 0, b = 0;
    if (!(h >> a)) return Status(StatusCode::kInvalidArgument, "pairs file header is not a number: " + line);
    if (h >> b) {
      out.folds = a;
      out.pairs_per_class = b;
    } else {
      out.pairs_per_class = a;
    }
  }
  if (out.folds <= 0 || out.pairs_per_class <= 0) return Status(StatusCode::kInvalidArgument, "pairs file header must be positive");
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    std::istringstream l(line);
    std::vector<std::string> f;
    for (std::string w; l >> w;) f.push_back(w);
    if (f.empty()) continue;
    LfwPair p;
    try {
      if (f.size() == 3) {
        p = {f[0], std::stoi(f[1]), f[0], std::stoi(f[2]), true, 0};
      } else if (f.size() == 4) {
        p = {f[0], std::stoi(f[1]), f[2], std::stoi(f[3]), false, 0};
      } else {
        return Status(StatusCode::kInvalidArgument, "pairs line " + std::to_string(lineno) + " has " + std::to_string(f.size()) + " fields");
      }
    } catch (const std::exception&) {
      return Status(StatusCode::kInvalidArgument, "pairs line " + std::to_string(lineno) + " has a non-numeric image number");
    }
    size_t idx = out.pairs.size();
    p.fold = static_cast<int>(idx / static_cast<size_t>(2 * out.pairs_per_class));
    out.pairs.push_back(p);
  }
  size_t expected = static_cast<size_t>(out.folds) * 2 * static_cast<size_t>(out.pairs_per_class);
  if (out.pairs.size() != expected) {
    return Status(StatusCode::kInvalidArgument, "pairs file has " + std::to_string(out.pairs.size()) +
                                                    " pairs, its header promises " + std::to_string(expected));
  }
  return out;
}

Result<LfwPairs> LoadLfwPairs(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, "cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseLfwPairs(ss.str());
}

std::string LfwImagePath(const std::string& dir, const std::string& name, int n) {
  char num[16];
  std::snprintf(num, sizeof(num), "%04d", n);
  return dir + "/" + name + "/" + name + "_" + num + ".jpg";
}

}  // namespace facekit::eval
