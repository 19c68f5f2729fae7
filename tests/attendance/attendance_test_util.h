// attendance/attendance_test_util.h - LFW photos and galleries for the
// attendance graph tests.
#pragma once

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "service/open_service.h"
#include "test_util.h"

namespace facekit::testing {

/// The person's LFW View 1 photos, in name order.
inline std::vector<std::string> LfwPhotos(const std::string& name) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(DataDir() + "/lfw-view1/deepfunneled/" + name, ec)) {
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

/// A gallery folder at `path` with group "staff" holding each named person
/// enrolled from their first LFW photo (the videos show the others).
inline void EnrolFirstPhotos(const std::string& path, const std::vector<std::string>& names) {
  auto service = service::OpenFaceService(path, SharedEngine());
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  service::CreateGroupRequest g;
  g.group_id = "staff";
  g.group_name = "Staff";
  ASSERT_TRUE((*service)->CreateGroup(g).ok());
  for (const std::string& name : names) {
    service::CreatePersonRequest p;
    p.group_id = "staff";
    p.person_id = name;
    p.person_name = name;
    auto bytes = ReadFileBytes(LfwPhotos(name).at(0));
    ASSERT_TRUE(bytes.ok());
    p.image = std::move(*bytes);
    auto created = (*service)->CreatePerson(p);
    ASSERT_TRUE(created.ok()) << created.error().message;
  }
}

/// The JSON objects of a JSON-lines text.
inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> events;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) events.push_back(nlohmann::json::parse(line));
  }
  return events;
}

}  // namespace facekit::testing
