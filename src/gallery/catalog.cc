// Catalog: the gallery's records in memory (groups, persons, memberships,
// faces, jobs) and their id tables; a sharded node's face places
// (docs/scale-out.md, "Catalog split by shard"). Changed by Gallery only.
#include <algorithm>
#include <mutex>
#include <shared_mutex>

#include "gallery/gallery.h"
#include "store/face_shard.h"

namespace facekit::gallery {

namespace {
// The id tables' view of the catalog's records.
template <typename Records, typename IdOfRecord>
IdTable::IdOf IdsOf(const Records& records, IdOfRecord id_of) {
  return [&records, id_of](std::int64_t key) { return std::string_view(id_of(records.at(key))); };
}
template <typename Records>
IdTable::ForEach Every(const Records& records) {
  return [&records](const std::function<void(std::int64_t)>& add) {
    for (const auto& entry : records) add(entry.first);
  };
}
std::string_view PersonIdOf(const PersonState& p) { return p.record.id; }
std::string_view FaceIdOf(const FaceState& f) { return f.id.view(); }
}  // namespace

const GroupState* Catalog::GroupByKey(std::int64_t key) const {
  auto it = groups_.find(key);
  return it == groups_.end() ? nullptr : &it->second;
}
const GroupState* Catalog::GroupById(const std::string& id) const {
  auto it = group_ids_.find(id);
  return it == group_ids_.end() ? nullptr : GroupByKey(it->second);
}
const PersonState* Catalog::PersonByKey(std::int64_t key) const {
  auto it = persons_.find(key);
  return it == persons_.end() ? nullptr : &it->second;
}
const PersonState* Catalog::PersonById(const std::string& id) const {
  const std::int64_t key = person_ids_.Find(id, IdsOf(persons_, PersonIdOf));
  return key == 0 ? nullptr : PersonByKey(key);
}
const FaceState* Catalog::FaceByKey(std::int64_t key) const {
  auto it = faces_.find(key);
  return it == faces_.end() ? nullptr : &it->second;
}
std::int64_t Catalog::FaceKeyById(std::string_view id) const { return face_ids_.Find(id, IdsOf(faces_, FaceIdOf)); }
bool Catalog::FaceKnown(std::int64_t key) const { return faces_.count(key) != 0 || face_places_.Find(key).has_value(); }
std::int64_t Catalog::FacePersonKey(std::int64_t key) const {
  if (const FaceState* f = FaceByKey(key)) return f->person_key;
  const auto place = face_places_.Find(key);
  return place ? place->person_key : 0;
}
int Catalog::FaceShard(std::int64_t key, int shards) const {
  if (const FaceState* f = FaceByKey(key)) return shards > 0 ? store::ShardOfFace(f->id.view(), shards) : 0;
  const auto place = face_places_.Find(key);
  return place ? place->shard : -1;
}
std::string_view Catalog::FaceSource(std::int64_t key) const {
  auto it = face_source_texts_.find(key);
  return it == face_source_texts_.end() ? std::string_view() : std::string_view(it->second);
}
void Catalog::AddPerson(PersonState person) {
  const std::int64_t key = person.record.key;
  if (auto old = persons_.find(key); old != persons_.end()) ErasePerson(old);
  const PersonState& stored = persons_.emplace(key, std::move(person)).first->second;
  person_ids_.Put(stored.record.id, key, IdsOf(persons_, PersonIdOf), Every(persons_));
}
void Catalog::ErasePerson(std::unordered_map<std::int64_t, PersonState>::iterator person) {
  person_ids_.Erase(person->second.record.id, person->first, IdsOf(persons_, PersonIdOf));
  persons_.erase(person);
}
void Catalog::ReservePersons(std::size_t persons) {
  persons_.reserve(persons);
  person_ids_.Reserve(persons, IdsOf(persons_, PersonIdOf), Every(persons_));
}
void Catalog::ReserveFaces(std::size_t faces) {
  faces_.reserve(faces);
  face_ids_.Reserve(faces, IdsOf(faces_, FaceIdOf), Every(faces_));
}
void Catalog::DropFaceRecords(const std::vector<std::pair<std::int64_t, int>>& doomed) {
  face_places_.Reserve(face_places_.size() + doomed.size());
  for (const auto& [key, shard] : doomed) {
    if (auto f = faces_.find(key); f != faces_.end()) (void)DropFaceRecord(f, shard);
  }
}
void Catalog::ShrinkFaceRecords() {
  faces_.rehash(0);
  face_ids_.Reset(faces_.size(), IdsOf(faces_, FaceIdOf), Every(faces_));
}
void Catalog::AddFace(std::int64_t key, FaceState face, std::string source) {
  if (auto old = faces_.find(key); old != faces_.end()) EraseFace(old);
  face_places_.Erase(key);
  const FaceState& f = faces_.emplace(key, std::move(face)).first->second;
  face_ids_.Put(f.id.view(), key, IdsOf(faces_, FaceIdOf), Every(faces_));
  if (!source.empty()) {
    const std::string& text = face_source_texts_.insert_or_assign(key, std::move(source)).first->second;
    // The map's key must view this face's own string (an entry of the same
    // text may view another face's, erased before this one).
    face_sources_.erase(std::string_view(text));
    face_sources_.emplace(std::string_view(text), key);
  }
}
void Catalog::EraseFaceSource(std::int64_t key) {
  if (auto text = face_source_texts_.find(key); text != face_source_texts_.end()) {
    auto s = face_sources_.find(std::string_view(text->second));
    if (s != face_sources_.end() && s->second == key) face_sources_.erase(s);
    face_source_texts_.erase(text);
  }
}
void Catalog::EraseFace(std::unordered_map<std::int64_t, FaceState>::iterator face) {
  face_ids_.Erase(face->second.id.view(), face->first, IdsOf(faces_, FaceIdOf));
  EraseFaceSource(face->first);
  faces_.erase(face);
}
bool Catalog::DropFaceRecord(std::unordered_map<std::int64_t, FaceState>::iterator face, int shard) {
  const std::int64_t key = face->first, person = face->second.person_key;
  if (!FaceDirectory::Fits(key, person, shard)) return false;
  EraseFace(face);
  face_places_.Put(key, person, shard);
  return true;
}
void Catalog::AddFacePlace(std::int64_t key, std::int64_t person_key, int shard) {
  if (auto old = faces_.find(key); old != faces_.end()) EraseFace(old);
  face_places_.Put(key, person_key, shard);
}
void Catalog::ForgetFace(std::int64_t key) {
  if (auto f = faces_.find(key); f != faces_.end()) EraseFace(f);
  face_places_.Erase(key);
}

namespace {
std::shared_mutex version_bits_mu;
std::vector<std::string>& VersionBits() {
  static std::vector<std::string> names;  // bit i: names[i]
  return names;
}
int IndexOf(const std::vector<std::string>& names, const std::string& version) {
  const auto it = std::find(names.begin(), names.end(), version);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}
int VersionBit(const std::string& version, bool add) {
  {
    std::shared_lock lock(version_bits_mu);
    const int bit = IndexOf(VersionBits(), version);
    if (bit >= 0 || !add) return bit;
  }
  std::unique_lock lock(version_bits_mu);
  auto& names = VersionBits();
  if (const int bit = IndexOf(names, version); bit >= 0) return bit;  // added meanwhile
  if (names.size() >= 64) return -1;
  names.push_back(version);
  return static_cast<int>(names.size() - 1);
}
}  // namespace

std::size_t VersionSet::count(const std::string& version) const {
  const int bit = VersionBit(version, /*add=*/false);
  return bit >= 0 && (bits_ >> bit & 1u) != 0 ? 1 : 0;
}
void VersionSet::insert(const std::string& version) {
  const int bit = VersionBit(version, /*add=*/true);
  if (bit >= 0) bits_ |= std::uint64_t{1} << bit;
}

std::vector<const GroupState*> Catalog::Groups() const {
  std::vector<const GroupState*> out;
  out.reserve(groups_.size());
  for (const auto& [key, g] : groups_) out.push_back(&g);
  return out;
}
std::vector<float> Catalog::FaceVector(std::int64_t face_key) const { return FaceVector(face_key, primary_version_); }
std::vector<float> Catalog::FaceVector(std::int64_t face_key, const std::string& version) const {
  const PersonState* person = PersonByKey(FacePersonKey(face_key));
  if (!person) return {};
  for (const auto& [gkey, m] : person->groups) {
    const GroupState* g = GroupByKey(gkey);
    if (g && g->record.face_model_version == version && g->faces->Contains(face_key)) {
      return g->faces->Vector(face_key);
    }
  }
  return {};
}
const store::ModelJobRecord* Catalog::JobById(const std::string& id) const {
  for (const auto& j : jobs_) {
    if (j.id == id) return &j;
  }
  return nullptr;
}

std::vector<SearchHit> Catalog::Search(const std::vector<std::int64_t>& group_keys, const float* query, std::size_t k,
                                       bool persons) const {
  std::unordered_map<std::int64_t, SearchHit> best;
  for (std::int64_t gkey : group_keys) {
    const GroupState* g = GroupByKey(gkey);
    if (!g) continue;
    const VectorIndex& index = persons ? *g->people : *g->faces;
    for (const Hit& h : index.Search(query, k)) {
      auto [it, inserted] = best.try_emplace(h.key, SearchHit{h.key, gkey, h.score});
      if (!inserted && h.score > it->second.similarity) it->second = SearchHit{h.key, gkey, h.score};
    }
  }
  std::vector<SearchHit> out;
  out.reserve(best.size());
  for (auto& [key, hit] : best) out.push_back(hit);
  std::sort(out.begin(), out.end(), [](const SearchHit& a, const SearchHit& b) {
    return a.similarity > b.similarity || (a.similarity == b.similarity && a.key < b.key);
  });
  if (out.size() > k) out.resize(k);
  return out;
}

}  // namespace facekit::gallery
