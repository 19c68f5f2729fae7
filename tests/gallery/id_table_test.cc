#include "gallery/id_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace facekit::gallery {
namespace {

// The table against a std::map of the same faces, through inserts, replaced
// ids, removals (removed marks and their reuse) and growth.
TEST(IdTable, FindsWhatAMapFindsThroughInsertsRemovalsAndGrowth) {
  std::map<std::int64_t, std::string> faces;  // the records: key -> id
  const IdTable::IdOf id_of = [&](std::int64_t key) { return std::string_view(faces.at(key)); };
  const IdTable::ForEach all = [&](const std::function<void(std::int64_t)>& add) {
    for (const auto& [key, id] : faces) add(key);
  };
  IdTable table;
  EXPECT_EQ(table.Find("nobody", id_of), 0);
  std::mt19937_64 rng(7);
  std::map<std::string, std::int64_t> want;  // id -> key
  std::int64_t next_key = 1;
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t r = rng() % 10;
    if (r < 6 || faces.empty()) {  // a new face (ids of a small space: some repeat)
      const std::string id = std::to_string(1000000000000000000ull + rng() % 5000);
      if (auto old = want.find(id); old != want.end()) {  // the id's face deleted first, as the store would
        table.Erase(id, old->second, id_of);
        faces.erase(old->second);
        want.erase(old);
      }
      const std::int64_t key = next_key++;
      faces[key] = id;
      table.Put(id, key, id_of, all);
      want[id] = key;
    } else {  // a face removed
      auto it = faces.begin();
      std::advance(it, static_cast<long>(rng() % faces.size()));
      table.Erase(it->second, it->first + (r == 9 ? 1000000 : 0), id_of);  // r 9: the wrong key, kept
      if (r != 9) {
        want.erase(it->second);
        faces.erase(it);
      }
    }
    ASSERT_EQ(table.size(), want.size());
    ASSERT_LE(table.size() * 4, table.capacity() * 3);
  }
  for (const auto& [id, key] : want) EXPECT_EQ(table.Find(id, id_of), key) << id;
  EXPECT_EQ(table.Find("999", id_of), 0);
  // Reserve keeps every entry.
  table.Reserve(100000, id_of, all);
  EXPECT_GE(table.capacity(), 131072u);
  for (const auto& [id, key] : want) EXPECT_EQ(table.Find(id, id_of), key) << id;
}

TEST(IdTable, APutOfAHeldIdMovesItToTheNewKey) {
  std::map<std::int64_t, std::string> faces{{1, "a"}, {2, "b"}};
  const IdTable::IdOf id_of = [&](std::int64_t key) { return std::string_view(faces.at(key)); };
  const IdTable::ForEach all = [&](const std::function<void(std::int64_t)>& add) {
    for (const auto& [key, id] : faces) add(key);
  };
  IdTable table;
  table.Put("a", 1, id_of, all);
  table.Put("b", 2, id_of, all);
  faces[3] = "a";
  table.Put("a", 3, id_of, all);
  EXPECT_EQ(table.Find("a", id_of), 3);
  EXPECT_EQ(table.size(), 2u);
  table.Erase("a", 1, id_of);  // no longer a's face: kept
  EXPECT_EQ(table.Find("a", id_of), 3);
  table.Erase("a", 3, id_of);
  EXPECT_EQ(table.Find("a", id_of), 0);
  EXPECT_EQ(table.Find("b", id_of), 2);
}

}  // namespace
}  // namespace facekit::gallery
