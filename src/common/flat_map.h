// flat_map.h - a map kept as one sorted array, for the few entries a catalog
// record has (a person's group memberships).
//
// WHAT IT IS FOR
//   A std::map costs 48 bytes and a 32-byte tree node header per entry on
//   top of the entry: a person of one group paid 48 + 96 bytes for it. Here
//   it is a std::vector (24 bytes) and the entries themselves, sorted by key:
//   lookups are a binary search, inserts and erases move the later entries
//   (cheap for the handful a record has: a person is in at most 100 groups).
//   The part of std::map's interface the catalog uses; iterators are
//   invalidated by inserts and erases, as a vector's.
//
// THREAD SAFETY
//   A value type, as std::map.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <utility>
#include <vector>

namespace facekit {

template <typename K, typename V>
class FlatMap {
 public:
  using value_type = std::pair<K, V>;
  using iterator = typename std::vector<value_type>::iterator;
  using const_iterator = typename std::vector<value_type>::const_iterator;

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  iterator find(const K& key) {
    auto it = LowerBound(key);
    return it != entries_.end() && it->first == key ? it : entries_.end();
  }
  const_iterator find(const K& key) const {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), key,
                               [](const value_type& e, const K& k) { return e.first < k; });
    return it != entries_.end() && it->first == key ? it : entries_.end();
  }
  std::size_t count(const K& key) const { return find(key) == end() ? 0 : 1; }
  V& at(const K& key) {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatMap::at");
    return it->second;
  }
  const V& at(const K& key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("FlatMap::at");
    return it->second;
  }
  V& operator[](const K& key) {
    auto it = LowerBound(key);
    if (it == entries_.end() || it->first != key) {
      // Exactly one more slot: records keep few entries and are many.
      if (entries_.size() == entries_.capacity()) entries_.reserve(entries_.size() + 1);
      it = entries_.insert(LowerBound(key), value_type(key, V()));
    }
    return it->second;
  }
  std::size_t erase(const K& key) {
    auto it = find(key);
    if (it == end()) return 0;
    entries_.erase(it);
    if (entries_.empty()) std::vector<value_type>().swap(entries_);
    return 1;
  }

 private:
  iterator LowerBound(const K& key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const value_type& e, const K& k) { return e.first < k; });
  }

  std::vector<value_type> entries_;
};

}  // namespace facekit
