#include "gallery/id_table.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

namespace facekit::gallery {
namespace {

// The table against a std::map of the same faces, through inserts, replaced
// ids, removals (removed marks and their reuse) and growth.
// `large_from`: the step from which keys are 2^48 or more (no room for the
// slots' hash tags: the table turns them off); -1: never.
void CheckAgainstAMap(int large_from) {
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
      if (step == large_from) next_key += std::int64_t{1} << 48;
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

TEST(IdTable, FindsWhatAMapFindsThroughInsertsRemovalsAndGrowth) {
  CheckAgainstAMap(-1);
  CheckAgainstAMap(0);      // every key too large for a tag
  CheckAgainstAMap(12000);  // tags turned off midway
}

// The slots' hash tags spare a record read for every other id a probe passes:
// looking up ids the table does not hold reads almost no record.
TEST(IdTable, AProbeReadsARecordOnlyWhenItsHashTagMatches) {
  std::map<std::int64_t, std::string> faces;
  std::size_t reads = 0;
  const IdTable::IdOf id_of = [&](std::int64_t key) {
    ++reads;
    return std::string_view(faces.at(key));
  };
  const IdTable::ForEach all = [&](const std::function<void(std::int64_t)>& add) {
    for (const auto& [key, id] : faces) add(key);
  };
  IdTable table;
  for (std::int64_t key = 1; key <= 20000; ++key) {
    faces[key] = std::to_string(4000000000000000000ll + key * 7919);
    table.Put(faces[key], key, id_of, all);
  }
  reads = 0;
  for (int i = 0; i < 20000; ++i) EXPECT_EQ(table.Find("absent-" + std::to_string(i), id_of), 0);
  EXPECT_LT(reads, 20u);  // a tag matches by chance 1 time in 32,768
  reads = 0;
  for (std::int64_t key = 1; key <= 20000; ++key) ASSERT_EQ(table.Find(faces[key], id_of), key);
  EXPECT_LT(reads, 20020u);  // one read a held id, and a chance match now and then
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
