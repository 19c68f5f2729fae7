// The facekit binary: output formats, exit status and error codes.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "phone_photo.h"
#include "test_util.h"

namespace facekit {
namespace {

struct CliRun {
  int status = -1;
  std::string out, err;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A one-fold LFW pairs list: the first `per_class` same-person and the first
// `per_class` different-person pairs of `file`.
std::string FirstPairs(const std::string& file, int per_class) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> same, diff;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    int fields = 0;
    for (std::string w; l >> w;) ++fields;
    (fields == 3 ? same : diff).push_back(line);
  }
  std::string list = std::to_string(per_class) + "\n";
  for (int i = 0; i < per_class; ++i) list += same[static_cast<size_t>(i)] + "\n";
  for (int i = 0; i < per_class; ++i) list += diff[static_cast<size_t>(i)] + "\n";
  return list;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/facekit-cli-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  CliRun Facekit(const std::string& args, bool default_models = true) {
    std::string models = default_models ? " --models " + testing::ModelsDir() : "";
    std::string cmd = ::facekit::testing::CliPath() + models + " " + args + " >" + dir_ +
                      "/out 2>" + dir_ + "/err";
    int rc = std::system(cmd.c_str());
    CliRun r;
    r.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.out = Slurp(dir_ + "/out");
    r.err = Slurp(dir_ + "/err");
    return r;
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    std::string p = dir_ + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }

  std::string dir_;
};

TEST_F(CliTest, DetectJsonHasTheDocumentedShapeAndDrawWritesAnImage) {
  std::string drawn = dir_ + "/drawn.png";
  CliRun r = Facekit("detect " + testing::Photo("two_people.jpg") + " --json --draw " + drawn);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["width"], 1126);
  EXPECT_EQ(j["height"], 661);
  ASSERT_EQ(j["faces"].size(), 2u);
  for (const auto& f : j["faces"]) {
    for (const char* k : {"x", "y", "width", "height", "score"}) EXPECT_TRUE(f[k].is_number()) << k;
    ASSERT_EQ(f["landmarks"].size(), 5u);
    EXPECT_EQ(f["landmarks"][0].size(), 2u);
  }
  auto img = LoadImageFile(drawn);
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 1126);
  CliRun none = Facekit("detect " + testing::Photo("white.png") + " --json");
  ASSERT_EQ(none.status, 0);
  EXPECT_EQ(nlohmann::json::parse(none.out)["faces"].size(), 0u);
}

TEST_F(CliTest, CompareAndEmbedJson) {
  std::string bbt = testing::DataDir() + "/faces/bbt/";
  CliRun same = Facekit("compare " + bbt + "sheldon/sheldon1.png " + bbt + "sheldon/sheldon3.png --json");
  ASSERT_EQ(same.status, 0) << same.err;
  auto j = nlohmann::json::parse(same.out);
  EXPECT_TRUE(j["similarity"].is_number());
  EXPECT_TRUE(j["score"].is_number());
  EXPECT_EQ(j["same_person"], true);
  CliRun diff = Facekit("compare " + bbt + "sheldon/sheldon1.png " + bbt + "amy/amy1.png --json");
  ASSERT_EQ(diff.status, 0) << diff.err;
  EXPECT_EQ(nlohmann::json::parse(diff.out)["same_person"], false);
  CliRun emb = Facekit("embed " + testing::Photo("obama-240p.jpg") + " --json");
  ASSERT_EQ(emb.status, 0) << emb.err;
  auto e = nlohmann::json::parse(emb.out);
  EXPECT_EQ(e["dim"], 192);
  EXPECT_EQ(e["embedding"].size(), 192u);
}

TEST_F(CliTest, CompareAppliesTheOneDecisionRuleAndSaysWhichThreshold) {
  const std::string bbt = testing::DataDir() + "/faces/bbt/stuart/";
  // Score 52: same person at the accuracy-maximising cosine 0.4 the CLI used to
  // apply, different people under the rule the cloud API's IsMatch applies (60).
  CliRun r = Facekit("compare " + bbt + "stuart1.png " + bbt + "stuart5.png --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["score"].get<double>(), 45.0);
  EXPECT_LT(j["score"].get<double>(), 60.0);
  EXPECT_EQ(j["same_person"], false);
  EXPECT_EQ(j["match_score"], 60.0);
  EXPECT_NEAR(j["match_similarity"].get<double>(), 0.5935, 1e-4);
  r = Facekit("compare " + bbt + "stuart1.png " + bbt + "stuart5.png");
  EXPECT_NE(r.out.find("different people"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("decision rule: same person when score >= 60 (about 1 false accept in 100,000"),
            std::string::npos)
      << r.out;
  r = Facekit("compare " + bbt + "stuart1.png " + bbt + "stuart5.png --threshold 50 --json");
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["same_person"], true);
  EXPECT_EQ(j["match_score"], 50.0);
}

TEST_F(CliTest, CommandsTakingOneFaceSayWhichAndAcceptFace) {
  const std::string both = testing::Photo("obama_and_biden.jpg"), biden = testing::Photo("biden.jpg");
  // The largest face of the group photo is Obama's: said on stderr, not silently used.
  CliRun r = Facekit("compare " + both + " " + biden + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("holds 3 faces; using face 0 (the largest"), std::string::npos) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["same_person"], false);
  EXPECT_EQ(j["faces"][0]["faces_in_photo"], 3);
  EXPECT_EQ(j["faces"][0]["face_index"], 0);
  r = Facekit("compare " + both + " " + biden + " --face-a 1 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["same_person"], true) << r.out;
  r = Facekit("compare " + both + " " + biden + " --face 1");
  EXPECT_EQ(r.status, 1) << "face 1 of biden.jpg does not exist";
  EXPECT_NE(r.err.find("face 1 was asked for; the image has 1 face(s)"), std::string::npos) << r.err;
  r = Facekit("compare " + both + " " + biden + " --face-a nonsense");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("not largest, central or a face index"), std::string::npos) << r.err;
  r = Facekit("embed " + both + " --face central --json");
  ASSERT_EQ(r.status, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["faces_in_photo"], 3);
  EXPECT_EQ(j["face_index"], 0);  // Obama's face covers the centre too
  r = Facekit("embed " + both + " --face 2 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["face_index"], 2);
}

TEST_F(CliTest, EnrolRefusesAmbiguousPhotosAppliesTheFaceLimitFirstAndSumsUp) {
  const std::string people = dir_ + "/people", data = dir_ + "/data";
  const std::string photos = testing::DataDir() + "/faces/photos/";
  std::filesystem::create_directories(people + "/obama");
  std::filesystem::create_directories(people + "/joe");
  int n = 0;
  for (const char* p : {"obama.jpg", "obama2.jpg", "obama3.jpg", "obama-240p.jpg", "obama-480p.jpg", "obama-720p.jpg",
                        "obama-1080p.jpg"}) {
    std::filesystem::create_symlink(photos + p, people + "/obama/" + std::to_string(++n) + ".jpg");
  }
  std::filesystem::create_symlink(photos + "biden.jpg", people + "/joe/1.jpg");
  std::filesystem::create_symlink(photos + "obama_and_biden.jpg", people + "/joe/2.jpg");

  CliRun r = Facekit("gallery enroll --data " + data + " --group g " + people + " --json");
  EXPECT_EQ(r.status, 1) << "the group photo failed";
  std::string line, last;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> failed;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["event"] == "failed") failed.push_back(j);
    last = line;
  }
  auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["images"], 9);
  EXPECT_EQ(summary["enrolled"], 6);         // 5 of obama, joe's own photo
  EXPECT_EQ(summary["over_face_limit"], 2);  // obama's 6th and 7th: not tried
  EXPECT_EQ(summary["failed"], 1);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["source"], "joe/2.jpg");
  EXPECT_EQ(failed[0]["code"], "FailedOperation.FaceAmbiguous");
  // Told which face, the group photo is enrolled; nothing else is redone.
  r = Facekit("gallery enroll --data " + data + " --group g " + people + " --face 1 --json");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  std::istringstream again(r.out);
  while (std::getline(again, line)) last = line;
  summary = nlohmann::json::parse(last);
  EXPECT_EQ(summary["enrolled"], 1);
  EXPECT_EQ(summary["already_enrolled"], 6);
  EXPECT_EQ(summary["over_face_limit"], 2);
  EXPECT_EQ(summary["failed"], 0);
  // Not a terminal: no progress bar; the summary in words on stderr without --json.
  r = Facekit("gallery enroll --data " + data + " --group g " + people);
  EXPECT_EQ(r.err.find("enrol ["), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("9 images in "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("0 enrolled, 7 already enrolled, 2 over the 5-face limit, 0 failed"), std::string::npos)
      << r.err;
}

// The phone photos: 4352x2903 and 3061x4600 JPEGs (built from shared
// photos) were refused with ImageTooLarge; detect now answers in their
// original coordinates, also when --working-size (given after the
// subcommand) makes the decoder read them at 1/2 scale, and the pixel budget
// refuses them with a message saying how to raise it.
TEST_F(CliTest, DetectCompareEmbedAcceptPhonePhotosInOriginalCoordinates) {
  struct Case {
    const char* photo;
    int width, height;
  };
  for (const Case& c : {Case{"obama-720p.jpg", 4352, 2903}, Case{"obama.jpg", 3061, 4600}}) {
    const testing::PhonePhoto phone = testing::MakePhonePhoto(c.photo, c.width, c.height);
    const std::string path = Write("phone.jpg", std::string(phone.jpeg.begin(), phone.jpeg.end()));
    auto small = testing::SharedEngine().Detect(testing::MustLoad(testing::Photo(c.photo)));
    ASSERT_TRUE(small.ok() && !small->empty());
    const FaceBox want = phone.FromOriginal((*small)[static_cast<size_t>(LargestFace(*small))]);
    for (const std::string options : {"", " --working-size 1280"}) {
      CliRun r = Facekit("detect " + path + " --json" + options);
      ASSERT_EQ(r.status, 0) << c.photo << options << ": " << r.err;
      auto j = nlohmann::json::parse(r.out);
      EXPECT_EQ(j["width"], c.width);
      EXPECT_EQ(j["height"], c.height);
      ASSERT_FALSE(j["faces"].empty());
      const auto& f = j["faces"][0];  // largest first
      FaceBox got;
      got.x = f["x"].get<float>();
      got.y = f["y"].get<float>();
      got.width = f["width"].get<float>();
      got.height = f["height"].get<float>();
      for (size_t i = 0; i < 5; ++i) got.landmarks[i] = {f["landmarks"][i][0].get<float>(), f["landmarks"][i][1].get<float>()};
      EXPECT_GT(testing::BoxIou(got, want), 0.85) << c.photo << options;
      EXPECT_LT(testing::LandmarkDistance(got, want), 0.06 * want.width) << c.photo << options;
    }
    CliRun refused = Facekit("--max-image-pixels 10000000 detect " + path + " --json");
    EXPECT_EQ(refused.status, 1);
    EXPECT_NE(refused.err.find("error ImageTooLarge"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("--max-image-pixels"), std::string::npos) << refused.err;
    CliRun same = Facekit("compare " + path + " " + testing::Photo(c.photo) + " --json --working-size 1280");
    ASSERT_EQ(same.status, 0) << same.err;
    EXPECT_EQ(nlohmann::json::parse(same.out)["same_person"], true);
    CliRun emb = Facekit("embed " + path + " --json --working-size 1280");
    ASSERT_EQ(emb.status, 0) << emb.err;
    EXPECT_NEAR(nlohmann::json::parse(emb.out)["face"]["x"].get<double>(), want.x, 0.1 * want.width);
  }
}

TEST_F(CliTest, ModelsInspectPrintsTotals) {
  CliRun r = Facekit("models inspect mtcnn-rnet --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["total_params"], 100178);
  EXPECT_EQ(j["total_macs"], 1530768);
  EXPECT_EQ(j["layers"].size(), 37u);
  CliRun bad = Facekit("models inspect /nonexistent.tflite");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("error NotFound"), std::string::npos) << bad.err;
  // A name that is not a model lists the names that are (it said "cannot open model file mtcnn").
  CliRun name = Facekit("models inspect mtcnn");
  EXPECT_EQ(name.status, 1);
  EXPECT_NE(name.err.find("no model named mtcnn; the manifest's models are mtcnn-pnet, mtcnn-rnet, mtcnn-onet, "
                          "mobilefacenet"),
            std::string::npos)
      << name.err;
}

// `eval verify` on a two-fold list built from LFW View 1 DevTest: its
// accuracy and AUC are recomputed here from the per-pair scores it prints.
TEST_F(CliTest, EvalVerifyAgreesWithIndependentRecomputation) {
  std::ifstream in(testing::DataDir() + "/lfw-view1/pairsDevTest.txt");
  std::string line;
  std::getline(in, line);
  std::vector<std::string> same, diff;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::vector<std::string> f;
    for (std::string w; l >> w;) f.push_back(w);
    (f.size() == 3 ? same : diff).push_back(line);
  }
  std::string list = "2 5\n";
  for (int fold = 0; fold < 2; ++fold) {
    for (int i = 0; i < 5; ++i) list += same[static_cast<size_t>(fold * 5 + i)] + "\n";
    for (int i = 0; i < 5; ++i) list += diff[static_cast<size_t>(fold * 5 + i)] + "\n";
  }
  std::string pairs = Write("pairs.txt", list);
  std::string roc = dir_ + "/roc.png";
  CliRun r = Facekit("eval verify --pairs " + pairs + " --images " + testing::DataDir() +
                     "/lfw-view1/deepfunneled --json --roc " + roc);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"accuracy_mean", "accuracy_std", "auc", "eer", "tar_at_far", "threshold", "confusion", "precision",
                        "recall", "f1", "no_face", "pairs"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  ASSERT_EQ(j["pairs"], 20);
  EXPECT_TRUE(j["tar_at_far"].contains("0.01"));
  EXPECT_TRUE(j["tar_at_far"].contains("0.001"));
  struct P {
    double s;
    bool same;
    int fold;
  };
  std::vector<P> ps;
  for (const auto& e : j["scores"]) ps.push_back({e[0].get<double>(), e[1].get<int>() == 1, e[2].get<int>()});
  ASSERT_EQ(ps.size(), 20u);
  // Accuracy: each fold at the threshold reported for it, and that threshold
  // must be a best one on the other fold.
  double acc_sum = 0;
  for (int f = 0; f < 2; ++f) {
    double t = j["fold_threshold"][static_cast<size_t>(f)].get<double>();
    auto accuracy = [&](int fold, double thr) {
      int ok = 0, n = 0;
      for (const P& p : ps) {
        if (p.fold != fold) continue;
        ++n;
        ok += (p.s >= thr) == p.same;
      }
      return static_cast<double>(ok) / n;
    };
    double best = 0;
    for (const P& cand : ps) {
      if (cand.fold != 1 - f) continue;
      best = std::max({best, accuracy(1 - f, cand.s), accuracy(1 - f, cand.s + 1e-6)});
    }
    EXPECT_NEAR(accuracy(1 - f, t), best, 1e-12) << "fold " << f;
    acc_sum += accuracy(f, t);
  }
  EXPECT_NEAR(j["accuracy_mean"].get<double>(), acc_sum / 2, 1e-9);
  // AUC: fraction of (genuine, impostor) pairs ordered correctly, ties half.
  double wins = 0, total = 0;
  for (const P& g : ps)
    for (const P& i : ps)
      if (g.same && !i.same) {
        wins += g.s > i.s ? 1.0 : (g.s == i.s ? 0.5 : 0.0);
        total += 1;
      }
  EXPECT_NEAR(j["auc"].get<double>(), wins / total, 1e-9);
  auto png = LoadImageFile(roc);
  EXPECT_TRUE(png.ok()) << png.status().ToString();
}

// `eval verify --embedder fused`: the fusion is fitted on the training list
// only, and each model's own result on the same pairs is reported with it.
TEST_F(CliTest, EvalVerifyFusedFitsOnTrainPairsAndReportsBothModels) {
  const std::string lfw = testing::DataDir() + "/lfw-view1/";
  std::string train = Write("train.txt", FirstPairs(lfw + "pairsDevTrain.txt", 12));
  std::string test = Write("test.txt", FirstPairs(lfw + "pairsDevTest.txt", 6));
  CliRun r = Facekit("eval verify --embedder fused --fusion logistic --train-pairs " + train + " --pairs " + test +
                     " --images " + lfw + "deepfunneled --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["embedder"], "fused");
  EXPECT_EQ(j["pairs"], 12);
  EXPECT_EQ(j["train_pairs"], 24);
  EXPECT_EQ(j["fusion"]["kind"], "logistic");
  EXPECT_GT(j["fusion"]["w_mobilefacenet"].get<double>(), 0.0);
  EXPECT_GT(j["fusion"]["w_resnet128"].get<double>(), 0.0);
  for (const char* m : {"mobilefacenet", "resnet128"}) {
    EXPECT_GT(j["embed_ms_per_face"][m].get<double>(), 0.0) << m;
    EXPECT_GE(j["components"][m]["auc"].get<double>(), 0.9) << m;
  }
  // The fused score of a pair is the fitted combination of the two models'
  // cosines; genuine pairs of this easy subset score above impostors.
  EXPECT_GE(j["auc"].get<double>(), 0.95);

  CliRun one = Facekit("eval verify --embedder resnet128 --train-pairs " + train + " --pairs " + test + " --images " + lfw +
                       "deepfunneled --json");
  ASSERT_EQ(one.status, 0) << one.err;
  auto k = nlohmann::json::parse(one.out);
  EXPECT_NEAR(k["auc"].get<double>(), j["components"]["resnet128"]["auc"].get<double>(), 1e-12);
  EXPECT_FALSE(k["embed_ms_per_face"].contains("mobilefacenet"));

  CliRun no_train = Facekit("eval verify --embedder fused --pairs " + test + " --images " + lfw + "deepfunneled");
  EXPECT_EQ(no_train.status, 1);
  EXPECT_NE(no_train.err.find("--train-pairs"), std::string::npos) << no_train.err;
}

TEST_F(CliTest, EvalIdentifyWithTheSecondEmbedder) {
  // Four people with several images (one enrolled, the rest probed) and three distractors.
  // View 1's deep-funneled folder holds 4, 3, 3 and 2 images of the first four.
  std::string people = Write("people.txt",
                             "7\nAaron_Peirsol\t4\nAbdullah_Gul\t3\nAbel_Pacheco\t3\nAdel_Al-Jubeir\t2\n"
                             "AJ_Lamas\t1\nAaron_Guiel\t1\nAaron_Tippin\t1\n");
  CliRun r = Facekit("eval identify --embedder resnet128 --images " + testing::DataDir() +
                     "/lfw-view1/deepfunneled --people " + people + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["embedder"], "resnet128");
  EXPECT_EQ(j["gallery"], 7);
  EXPECT_EQ(j["probes"], 8);
  EXPECT_GE(j["rank1"].get<double>(), 0.75);
  CliRun bad = Facekit("eval identify --embedder fused --images " + testing::DataDir() + "/lfw-view1/deepfunneled");
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("--train-pairs"), std::string::npos) << bad.err;

  // Fused: the fusion is fitted on the first 10 + 10 DevTrain pairs, then the same 1:N protocol.
  std::string train = Write("train.txt", FirstPairs(testing::DataDir() + "/lfw-view1/pairsDevTrain.txt", 10));
  CliRun f = Facekit("eval identify --embedder fused --fusion logistic --train-pairs " + train + " --images " +
                     testing::DataDir() + "/lfw-view1/deepfunneled --people " + people + " --json");
  ASSERT_EQ(f.status, 0) << f.err;
  auto fj = nlohmann::json::parse(f.out);
  EXPECT_EQ(fj["embedder"], "fused");
  EXPECT_EQ(fj["gallery"], 7);
  EXPECT_EQ(fj["probes"], 8);
  EXPECT_EQ(fj["fusion"]["kind"], "logistic");
  EXPECT_GT(fj["fusion"]["w_mobilefacenet"].get<double>(), 0.0);
  EXPECT_GE(fj["rank1"].get<double>(), 0.75);
}

TEST_F(CliTest, EvalDetectOnTheHeldOutDlibSet) {
  CliRun r = Facekit("eval detect --annotations " + testing::DataDir() + "/detection/dlib/testing.xml --json --draw " + dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["annotated"], 25);
  EXPECT_EQ(j["images"].size(), 5u);
  // Measured 25/25 found with no false positive; a regression shows here.
  EXPECT_GE(j["recall"].get<double>(), 0.96);
  EXPECT_GE(j["precision"].get<double>(), 0.96);
  EXPECT_TRUE(LoadImageFile(dir_ + "/2008_002470.png").ok());
}

TEST_F(CliTest, CalibrateOnASmallPeopleList) {
  // The first 40 people of View 1 DevTrain who have images in the folder.
  std::ifstream in(testing::DataDir() + "/lfw-view1/peopleDevTrain.txt");
  std::string line, list;
  std::getline(in, line);
  int kept = 0;
  while (kept < 40 && std::getline(in, line)) {
    std::string name = line.substr(0, line.find_first_of(" \t"));
    if (std::filesystem::is_directory(testing::DataDir() + "/lfw-view1/original-150/" + name)) {
      list += line + "\n";
      ++kept;
    }
  }
  std::string people = Write("people.txt", std::to_string(kept) + "\n" + list);
  CliRun r = Facekit("calibrate --images " + testing::DataDir() + "/lfw-view1/original-150 --people " + people + " --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["calibration"]["people"], 40);
  EXPECT_GT(j["calibration"]["impostor_pairs"].get<int>(), 1000);
  ASSERT_EQ(j["rows"].size(), 4u);
  double previous = -1;
  for (const auto& row : j["rows"]) {
    // On its own impostors the threshold never exceeds the target rate.
    EXPECT_LE(row["calibration_far"].get<double>(), row["target_far"].get<double>());
    EXPECT_GE(row["threshold"].get<double>(), previous);
    previous = row["threshold"].get<double>();
    EXPECT_EQ(row["resolved"].get<bool>(),
              row["target_far"].get<double>() * j["calibration"]["impostor_pairs"].get<double>() >= 1.0);
  }
  ASSERT_EQ(j["score_points"].size(), 5u);
  EXPECT_EQ(j["score_points"][1][1], 40.0);
  for (size_t i = 1; i < 5; ++i) EXPECT_GT(j["score_points"][i][0].get<double>(), j["score_points"][i - 1][0].get<double>());
}

TEST_F(CliTest, CalibrateAppliesExclusionsAndMeasuresOneToNDirectly) {
  // 30 calibration people and the next 15 as validation probes (View 1
  // DevTrain people who have images in the folder), with two people of
  // more than one image declared the same person.
  const std::string images = testing::DataDir() + "/lfw-view1/original-150";
  std::ifstream in(testing::DataDir() + "/lfw-view1/peopleDevTrain.txt");
  std::string line, cal_list, val_list;
  std::getline(in, line);
  std::vector<std::string> multi;  // calibration people with 2+ images
  size_t cal_images = 0, val_images = 0;
  int kept = 0;
  while (kept < 45 && std::getline(in, line)) {
    std::string name = line.substr(0, line.find_first_of(" \t"));
    std::string dir = images + "/" + name;
    if (!std::filesystem::is_directory(dir)) continue;
    size_t n = 0;
    for (const auto& f : std::filesystem::directory_iterator(dir)) n += f.path().extension() == ".jpg";
    if (kept < 30) {
      cal_list += line + "\n";
      cal_images += n;
      if (n > 1) multi.push_back(name + " " + std::to_string(n));
    } else {
      val_list += line + "\n";
      val_images += n;
    }
    ++kept;
  }
  ASSERT_GE(multi.size(), 2u);
  const std::string a = multi[0].substr(0, multi[0].find(' ')), b = multi[1].substr(0, multi[1].find(' '));
  const size_t a_n = std::stoul(multi[0].substr(multi[0].find(' ') + 1));
  const size_t b_n = std::stoul(multi[1].substr(multi[1].find(' ') + 1));
  std::string people = Write("cal.txt", "30\n" + cal_list);
  std::string probes = Write("val.txt", "15\n" + val_list);
  std::string excl = Write("excl.txt", "# test\nsame-person " + a + " " + b + " declared one person for the test\n" +
                                           "same-person Nobody_At_All " + a + " matches no image\n");
  CliRun r = Facekit("calibrate --images " + images + " --people " + people + " --validate-people " + probes +
                     " --exclusions " + excl + " --dump-top 5 --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  const size_t genuine = j["calibration"]["genuine_pairs"].get<size_t>();
  // Every a x b pair is gone from the impostors, nothing else.
  EXPECT_EQ(j["exclusions"]["entries"], 2);
  EXPECT_EQ(j["exclusions"]["impostor_pairs"].get<size_t>(), a_n * b_n);
  EXPECT_EQ(j["exclusions"]["genuine_pairs"], 0);
  EXPECT_EQ(j["exclusions"]["list"][0]["calibration_impostor_pairs"].get<size_t>(), a_n * b_n);
  EXPECT_EQ(j["exclusions"]["list"][1]["calibration_impostor_pairs"], 0);
  EXPECT_EQ(j["exclusions"]["list"][0]["line"], 2);
  EXPECT_EQ(j["calibration"]["impostor_pairs"].get<size_t>(), cal_images * (cal_images - 1) / 2 - genuine - a_n * b_n);
  ASSERT_EQ(j["top"]["calibration"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const auto& p = j["top"]["calibration"][i];
    const std::string pa = p["a"], pb = p["b"];
    EXPECT_FALSE((pa.rfind(a + "/", 0) == 0 && pb.rfind(b + "/", 0) == 0) || (pa.rfind(b + "/", 0) == 0 && pb.rfind(a + "/", 0) == 0))
        << pa << " " << pb;
    if (i > 0) {
      EXPECT_LE(p["similarity"].get<double>(), j["top"]["calibration"][i - 1]["similarity"].get<double>());
    }
  }
  // The direct 1:N search: every validation image against every calibration image.
  const auto& direct = j["search"]["direct"];
  EXPECT_EQ(direct["probes"].get<size_t>(), val_images);
  EXPECT_EQ(direct["gallery"].get<size_t>(), cal_images);
  double previous = 2;
  for (const auto& row : j["search"]["rows"]) {
    const auto& d = row["direct"];
    const double rate = d["false_alarm_rate"].get<double>();
    EXPECT_LE(rate, previous);  // higher thresholds, fewer false alarms
    previous = rate;
    EXPECT_NEAR(rate * static_cast<double>(val_images), d["false_alarms"].get<double>(), 1e-6);
    EXPECT_LE(d["false_alarm_rate_10k_95"][0].get<double>(), d["false_alarm_rate_10k"].get<double>());
    EXPECT_GE(d["false_alarm_rate_10k_95"][1].get<double>(), d["false_alarm_rate_10k"].get<double>());
    // A few dozen probes cannot resolve a 1:N rate of 1e-2 on 10,000 faces.
    EXPECT_FALSE(d["resolved"].get<bool>());
  }
  // A threshold counts false alarms exactly when the most similar probe's
  // best gallery match reaches it.
  ASSERT_FALSE(j["top"]["open_set"].empty());
  const double best = j["top"]["open_set"][0]["similarity"];
  for (const auto& row : j["search"]["rows"]) {
    EXPECT_EQ(row["direct"]["false_alarms"].get<size_t>() > 0, best >= row["threshold"].get<double>());
  }
}

TEST_F(CliTest, LivenessJsonAndFaceCountErrors) {
  CliRun r = Facekit("liveness --json " + testing::DataDir() + "/liveness/samples/image_T1.jpg");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* k : {"is_live", "reason", "cues", "medium", "bezel_sides", "passive", "passive_weight", "face"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_TRUE(j["is_live"].get<bool>()) << r.out;
  EXPECT_EQ(j["passive_weight"], "ignored");
  ASSERT_EQ(j["cues"].size(), 8u);
  for (const auto& cue : j["cues"]) {
    for (const char* k : {"name", "value", "threshold", "measured", "decisive", "fired"}) EXPECT_TRUE(cue.contains(k)) << k;
  }
  for (const char* k : {"score", "is_live", "spoof_score", "leaf", "sharp_pixels", "too_blurry", "vetoed"}) {
    EXPECT_TRUE(j["passive"].contains(k)) << k;
  }
  CliRun phone = Facekit("liveness --json " + testing::DataDir() + "/liveness/samples/image_F2.jpg");
  ASSERT_EQ(phone.status, 0) << phone.err;
  EXPECT_FALSE(nlohmann::json::parse(phone.out)["is_live"].get<bool>()) << phone.out;
  CliRun crowd = Facekit("liveness " + testing::Photo("obama_and_biden.jpg"));
  EXPECT_EQ(crowd.status, 1);
  EXPECT_NE(crowd.err.find("error TooManyFaces"), std::string::npos) << crowd.err;
  CliRun none = Facekit("liveness " + testing::Photo("white.png"));
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("error NoFace"), std::string::npos) << none.err;
  CliRun crop = Facekit("liveness --whole-image --json " + testing::DataDir() + "/liveness/real/0.png");
  ASSERT_EQ(crop.status, 0) << crop.err;
  const nlohmann::json crop_json = nlohmann::json::parse(crop.out);
  for (const auto& cue : crop_json["cues"]) {  // a crop has no surroundings
    if (cue["name"] == "object" || cue["name"] == "bezel") {
      EXPECT_FALSE(cue["measured"].get<bool>()) << cue.dump();
    }
  }
  CliRun bad = Facekit("liveness --threshold moire " + testing::DataDir() + "/liveness/samples/image_T1.jpg");
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.err.find("error InvalidArgument: --threshold wants CUE=VALUE"), std::string::npos) << bad.err;
}

TEST_F(CliTest, EvalLivenessOnATinyReplaySetAndOnFolders) {
  CliRun r = Facekit("eval liveness --replay-set held-out --pairs 2 --no-objects --json --choose-thresholds --data " +
                     testing::DataDir() + " --scores " + dir_ + "/scores.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["decision"]["bona_fide"].get<int>() + j["decision"]["attacks"].get<int>() +
                j["skipped"].value("live: face not found where placed", 0) +
                j["skipped"].value("replay: face not found where placed", 0),
            4);
  for (const char* k : {"apcer", "apcer_pooled", "bpcer", "acer", "species"}) EXPECT_TRUE(j["decision"].contains(k)) << k;
  ASSERT_EQ(j["cues"].size(), 8u);
  EXPECT_TRUE(j["cues"][0].contains("threshold_at_target_bpcer"));
  EXPECT_FALSE(Slurp(dir_ + "/scores.csv").empty());
  CliRun crops = Facekit("eval liveness --live " + testing::DataDir() + "/liveness/real --spoof " + testing::DataDir() +
                         "/liveness/fake --whole-image --every 60 --json");
  ASSERT_EQ(crops.status, 0) << crops.err;
  j = nlohmann::json::parse(crops.out);
  EXPECT_EQ(j["decision"]["bona_fide"], 2);  // files 0 and 60 of 120
  EXPECT_EQ(j["decision"]["attacks"], 5);
  CliRun neither = Facekit("eval liveness --json");
  EXPECT_EQ(neither.status, 1);
  EXPECT_NE(neither.err.find("--replay-set"), std::string::npos) << neither.err;
}

TEST_F(CliTest, ErrorsGoToStderrWithTheirCode) {
  std::string jpg = Slurp(testing::Photo("obama-240p.jpg"));
  struct Case {
    std::string file;
    std::string code;
  };
  for (const Case& c : {Case{Write("trunc.jpg", jpg.substr(0, jpg.size() / 2)), "ImageTruncated"},
                        Case{Write("empty.jpg", ""), "ImageEmpty"},
                        Case{Write("anim.gif", "GIF89a\x01\x00\x01\x00\x00\x00\x00"), "ImageUnsupportedFormat"},
                        Case{dir_ + "/missing.jpg", "NotFound"}}) {
    CliRun r = Facekit("detect " + c.file + " --json");
    EXPECT_EQ(r.status, 1) << c.file;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_NE(r.err.find("error " + c.code), std::string::npos) << r.err;
  }
  CliRun noface = Facekit("compare " + testing::Photo("white.png") + " " + testing::Photo("obama.jpg"));
  EXPECT_EQ(noface.status, 1);
  EXPECT_NE(noface.err.find("error NoFace"), std::string::npos) << noface.err;
  CliRun usage = Facekit("detect");
  EXPECT_NE(usage.status, 0);
  CliRun models = Facekit("--models /nonexistent detect " + testing::Photo("obama.jpg"), false);
  EXPECT_EQ(models.status, 1);
  EXPECT_NE(models.err.find("error NotFound"), std::string::npos) << models.err;
}

TEST_F(CliTest, GalleryEnrolSearchListDeleteExportImport) {
  const std::string people = dir_ + "/people", data = dir_ + "/data";
  const std::string photos = testing::DataDir() + "/faces/photos/";
  std::filesystem::create_directories(people + "/obama");
  std::filesystem::create_directories(people + "/biden");
  std::filesystem::create_symlink(photos + "obama.jpg", people + "/obama/1.jpg");
  std::filesystem::create_symlink(photos + "obama2.jpg", people + "/obama/2.jpg");
  std::filesystem::create_symlink(photos + "biden.jpg", people + "/biden/1.jpg");
  std::filesystem::create_symlink(photos + "white.png", people + "/biden/2.png");  // no face

  CliRun r = Facekit("gallery enroll --data " + data + " --group staff " + people + " --json");
  ASSERT_EQ(r.status, 1) << "an image failed: " << r.err;
  std::istringstream lines(r.out);
  std::string line, last;
  int enrolled_lines = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    if (j["event"] == "enrolled") ++enrolled_lines;
    last = line;
  }
  auto summary = nlohmann::json::parse(last);
  EXPECT_EQ(enrolled_lines, 3);
  EXPECT_EQ(summary["images"], 4);
  EXPECT_EQ(summary["enrolled"], 3);
  EXPECT_EQ(summary["failed"], 1);
  EXPECT_EQ(summary["failures"]["InvalidParameterValue.NoFaceInPhoto"], 1);

  r = Facekit("gallery search --data " + data + " --group staff " + photos + "obama3.jpg --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto s = nlohmann::json::parse(r.out);
  ASSERT_EQ(s["candidates"].size(), 2u);
  EXPECT_EQ(s["candidates"][0]["person_id"], "obama");
  EXPECT_GT(s["candidates"][0]["score"].get<double>(), 60.0);
  for (const char* k : {"face_id", "score", "similarity", "group_id"}) EXPECT_TRUE(s["candidates"][0].contains(k)) << k;
  EXPECT_EQ(s["verdict"]["match"], true);
  EXPECT_EQ(s["verdict"]["person_id"], "obama");
  EXPECT_EQ(s["verdict"]["threshold"], 70.0);
  // A stranger: a verdict of no match with the best score and the threshold, not only a ranked list.
  r = Facekit("gallery search --data " + data + " --group staff " + photos + "lin-manuel-miranda.png");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("no match: the best candidate, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" < 70"), std::string::npos) << r.out;
  r = Facekit("gallery search --data " + data + " --group staff " + photos + "obama3.jpg");
  EXPECT_NE(r.out.find("match: obama (score "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("a match when score >= 70: about 1 false alarm in 100 searches"), std::string::npos) << r.out;

  r = Facekit("gallery search --data " + data + " --group nope " + photos + "obama3.jpg");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("InvalidParameterValue.GroupIdNotExist"), std::string::npos) << r.err;

  const std::string exported = dir_ + "/export.jsonl";
  ASSERT_EQ(Facekit("gallery export --data " + data + " " + exported).status, 0);
  ASSERT_EQ(Facekit("gallery import --data " + dir_ + "/copy " + exported).status, 0);
  r = Facekit("gallery import --data " + dir_ + "/copy " + exported);
  EXPECT_EQ(r.status, 1) << "importing twice must refuse the existing group";

  ASSERT_EQ(Facekit("gallery delete --data " + dir_ + "/copy --person biden").status, 0);
  r = Facekit("gallery list --data " + dir_ + "/copy --json");
  ASSERT_EQ(r.status, 0) << r.err;
  auto groups = nlohmann::json::parse(r.out);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0]["persons"], 1);
  EXPECT_EQ(groups[0]["faces"], 2);
  // The copy answers searches like the original.
  r = Facekit("gallery search --data " + dir_ + "/copy --group staff " + photos + "obama3.jpg --json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["candidates"][0]["score"], s["candidates"][0]["score"]);
}

}  // namespace
}  // namespace facekit
