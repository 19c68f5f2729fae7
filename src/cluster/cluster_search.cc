#include "cluster/cluster_search.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <unordered_map>

#include "cluster/scatter_gather.h"
#include "cluster/shard_merge.h"

namespace facekit::cluster {

namespace {

std::vector<std::string> GroupIds(const gallery::Gallery& gallery) {
  return gallery.Read([](const gallery::Catalog& c) {
    std::vector<std::string> ids;
    for (const gallery::GroupState* g : c.Groups()) ids.push_back(g->record.id);
    return ids;
  });
}

}  // namespace

// ---------------------------------------------------------------- Owned

class ClusterSearch::Owned {
 public:
  // The shards `map` gives `node`, plus those `plus` holds (lost shards kept),
  // held only where `also` holds too (the shards kept while re-indexing).
  Owned(std::shared_ptr<const ShardMap> map, std::string node, std::shared_ptr<Owned> also = nullptr,
        std::shared_ptr<Owned> plus = nullptr)
      : map_(std::move(map)), node_(std::move(node)), also_(std::move(also)), plus_(std::move(plus)) {}

  int shards() const { return map_->shards(); }

  bool Holds(const std::string& group, int shard) {
    if (shard < 0 || shard >= map_->shards()) return false;
    if (also_ && !also_->Holds(group, shard)) return false;
    {
      std::lock_guard lock(mu_);
      auto it = by_group_.find(group);
      if (it == by_group_.end()) {
        std::vector<char> held(static_cast<std::size_t>(map_->shards()), 0);
        for (int s : map_->ShardsOf(node_, group)) held[static_cast<std::size_t>(s)] = 1;
        it = by_group_.emplace(group, std::move(held)).first;
      }
      if (it->second[static_cast<std::size_t>(shard)] != 0) return true;
    }
    return plus_ && plus_->Holds(group, shard);
  }

 private:
  std::shared_ptr<const ShardMap> map_;
  std::string node_;
  std::shared_ptr<Owned> also_, plus_;
  std::mutex mu_;
  std::unordered_map<std::string, std::vector<char>> by_group_;  // guarded by mu_
};

// ---------------------------------------------------------------- Remote

// ---------------------------------------------------------------- ClusterSearch

ClusterSearch::ClusterSearch(gallery::Gallery& gallery, ClusterSearchOptions options)
    : gallery_(gallery),
      options_(std::move(options)),
      remote_(std::make_unique<ShardClient>(options_.sign, &latencies_)) {
  if (options_.linger_idle_ms > 0 && options_.release_thread) {
    release_thread_ = std::thread([this] {
      const auto every = std::chrono::milliseconds(std::min<std::int64_t>(1000, options_.linger_idle_ms));
      std::unique_lock lock(release_mu_);
      while (!release_cv_.wait_for(lock, every, [this] { return stopping_; })) {
        lock.unlock();
        ReleaseIdleShards();
        lock.lock();
      }
    });
  }
}

ClusterSearch::~ClusterSearch() {
  {
    std::lock_guard lock(proposal_mu_);
    stopping_maps_ = true;
  }
  proposal_cv_.notify_all();
  if (map_thread_.joinable()) map_thread_.join();  // after a re-index in progress
  {
    std::lock_guard lock(release_mu_);
    stopping_ = true;
  }
  release_cv_.notify_all();
  if (release_thread_.joinable()) release_thread_.join();
}  // then remote_ waits for the calls in flight

std::chrono::steady_clock::time_point ClusterSearch::Now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

std::int64_t ClusterSearch::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
}

void ClusterSearch::Publish(std::shared_ptr<View> view) {
  std::unique_lock lock(view_mu_);
  view_ = std::move(view);
}

std::shared_ptr<const ClusterSearch::View> ClusterSearch::CurrentView() const {
  std::shared_lock lock(view_mu_);
  return view_;
}

std::size_t CountLost(const std::vector<LoadedShard>& loaded) {
  return static_cast<std::size_t>(
      std::count_if(loaded.begin(), loaded.end(), [](const LoadedShard& l) { return l.lost; }));
}

Status CheckShardCount(const gallery::Gallery& gallery, int node_shards) {
  const int stored = gallery.store_face_shards();
  if (stored == 0 || stored == node_shards) return Status::Ok();
  return Status(StatusCode::kFailedPrecondition,
                "the gallery database is split into " + std::to_string(stored) +
                    " shards per group (facekit_settings 'shards', fixed when it was created) but this node uses " +
                    std::to_string(node_shards) + "; every node must use the database's shard count");
}

Status ClusterSearch::OnMembership(const std::string& node_id, const MemberList& members,
                                   std::shared_ptr<const ShardMap> map) {
  if (!map) return Status(StatusCode::kInvalidArgument, "no shard map");
  FACEKIT_RETURN_IF_ERROR(CheckShardCount(gallery_, map->shards()));
  std::lock_guard serial(membership_mu_);
  auto fresh = std::make_shared<Owned>(map, node_id);
  const std::shared_ptr<const View> old = CurrentView();
  const std::vector<std::string> groups = GroupIds(gallery_);
  // Hand-over: the shards this node serves that the new map moves elsewhere
  // stay served until no search asks for them (ReleaseIdleShards).
  std::shared_ptr<Owned> keep;
  if (options_.linger_idle_ms > 0 && old && old->serving && old->node_id == node_id) {
    bool loses = false;
    for (const std::string& g : groups) {
      for (int s = 0; s < map->shards() && !loses; ++s) loses = old->serving->Holds(g, s) && !fresh->Holds(g, s);
    }
    if (loses) keep = old->serving;
  }
  auto target = keep ? std::make_shared<Owned>(map, node_id, nullptr, keep) : fresh;
  auto previous = std::make_shared<PreviousOwners>(*map, old ? old->map : nullptr, old ? old->previous.get() : nullptr);
  lost_asked_ms_.store(NowMs());  // the idle time of the lost shards counts from the change
  {
    // While re-indexing: route with the new map, serve what both the old
    // view and the target hold (those entries stay in the indexes throughout).
    auto v = std::make_shared<View>();
    v->node_id = node_id;
    v->map = map;
    v->members = members;
    if (old && old->serving) v->serving = std::make_shared<Owned>(map, node_id, old->serving, keep);
    v->current = fresh;
    v->keeps_lost = keep != nullptr;
    v->previous = previous;
    v->loaded_seq = old ? old->loaded_seq : 0;
    Publish(std::move(v));
  }
  gallery::ShardFilter filter;
  filter.shards = target->shards();
  filter.holds = [target](const std::string& group, int shard) { return target->Holds(group, shard); };
  auto seq = gallery_.SetIndexFilter(std::move(filter));
  if (!seq.ok()) return seq.status();
  auto v = std::make_shared<View>();
  v->node_id = node_id;
  v->map = std::move(map);
  v->members = members;
  v->serving = std::move(target);
  v->current = std::move(fresh);
  v->keeps_lost = keep != nullptr;
  v->previous = std::move(previous);
  v->loaded_seq = *seq;
  Publish(std::move(v));
  return Status::Ok();
}

void ClusterSearch::ProposeMembership(const std::string& node_id, const MemberList& members,
                                      std::shared_ptr<const ShardMap> map) {
  std::lock_guard lock(proposal_mu_);
  if (stopping_maps_) return;
  proposal_ = Proposal{node_id, members, std::move(map), std::chrono::steady_clock::now()};
  if (!map_thread_.joinable()) map_thread_ = std::thread([this] { MapLoop(); });
  proposal_cv_.notify_all();
}

void ClusterSearch::MapLoop() {
  const auto settle = std::chrono::milliseconds(options_.first_map_settle_ms);
  bool applied = false;
  std::unique_lock lock(proposal_mu_);
  while (true) {
    proposal_cv_.wait(lock, [this] { return stopping_maps_ || proposal_.has_value(); });
    // Before the first map: until the member list has been still for `settle`.
    while (!applied && !stopping_maps_ && proposal_ && std::chrono::steady_clock::now() < proposal_->at + settle) {
      proposal_cv_.wait_until(lock, proposal_->at + settle);
    }
    if (stopping_maps_) return;
    if (!proposal_) continue;
    Proposal p = std::move(*proposal_);
    proposal_.reset();
    lock.unlock();
    const Status s = OnMembership(p.node_id, p.members, p.map);
    applied = applied || s.ok();
    if (options_.on_applied) options_.on_applied(s, *p.map, LoadedShards());
    lock.lock();
  }
}

bool ClusterSearch::NewOwnersServe(const View& view, const std::vector<service::ShardRef>& lost) const {
  struct Answers {
    std::mutex mu;
    std::condition_variable cv;
    int waiting = 0;                                      // guarded by mu
    std::set<std::pair<std::string, std::uint32_t>> served;  // guarded by mu
  };
  auto answers = std::make_shared<Answers>();
  std::map<std::pair<std::string, std::string>, std::vector<service::ShardRef>> asks;  // (node, group) -> shards
  for (const service::ShardRef& ref : lost) {
    for (const std::string& node : view.map->Replicas(ref.group_id, static_cast<int>(ref.shard))) {
      if (node != view.node_id) asks[{node, ref.group_id}].push_back(ref);
    }
  }
  std::map<std::string, std::pair<std::string, int>> groups;  // id -> (face model version, dimension)
  gallery_.Read([&](const gallery::Catalog& c) {
    for (const auto& [key, refs] : asks) {
      if (const gallery::GroupState* g = c.GroupById(key.second)) {
        groups[key.second] = {g->record.face_model_version, g->faces->dim()};
      }
    }
    return 0;
  });
  std::set<std::string> gone;  // groups deleted meanwhile: nothing of theirs to hand over
  for (const auto& [key, refs] : asks) {
    const auto member = view.members.find(key.first);
    const auto group = groups.find(key.second);
    if (group == groups.end()) gone.insert(key.second);
    if (member == view.members.end() || member->second.empty() || group == groups.end()) continue;
    ShardCall call;
    call.node = key.first;
    call.address = member->second;
    call.shards = refs;
    call.query_bytes.assign(static_cast<std::size_t>(group->second.second) * sizeof(float), '\0');
    call.face_model_version = group->second.first;
    call.k = 1;
    call.deadline_us = std::min<std::int64_t>(1'000'000, options_.deadline_ms * 1000);
    {
      std::lock_guard lock(answers->mu);
      ++answers->waiting;
    }
    remote_->Search(call, [answers](Result<std::vector<service::ShardAnswer>> r) {
      std::lock_guard lock(answers->mu);
      if (r.ok()) {
        for (const service::ShardAnswer& a : *r) {
          if (a.refused.empty()) answers->served.insert({a.shard.group_id, a.shard.shard});
        }
      }
      --answers->waiting;
      answers->cv.notify_all();
    });
  }
  std::unique_lock lock(answers->mu);
  answers->cv.wait(lock, [&] { return answers->waiting == 0; });  // every call has a deadline
  return std::all_of(lost.begin(), lost.end(), [&](const service::ShardRef& ref) {
    return gone.count(ref.group_id) > 0 || answers->served.count({ref.group_id, ref.shard}) > 0;
  });
}

bool ClusterSearch::ReleaseIdleShards() {
  const std::shared_ptr<const View> seen = CurrentView();
  auto idle = [&] { return NowMs() - lost_asked_ms_.load() >= options_.linger_idle_ms; };
  if (!seen || !seen->keeps_lost || !idle()) return false;
  // Only once their new owners answer for them (asked before taking the
  // lock: a map change is not held up by the calls).
  std::vector<service::ShardRef> lost;
  for (const LoadedShard& l : LoadedShardsOf(seen.get())) {
    if (l.lost) lost.push_back({l.group_id, static_cast<std::uint32_t>(l.shard)});
  }
  if (!(options_.new_owners_serve ? options_.new_owners_serve(lost) : NewOwnersServe(*seen, lost))) return false;
  std::unique_lock serial(membership_mu_, std::try_to_lock);
  if (!serial.owns_lock()) return false;  // a map change is re-indexing: it decides what is kept
  const std::shared_ptr<const View> old = CurrentView();
  if (old != seen || !idle()) return false;  // changed, or asked for a lost shard, while the owners were asked
  const std::size_t before = LoadedShards().size();
  // Stop serving the lost shards first, then drop them from the indexes.
  auto v = std::make_shared<View>(*old);
  v->serving = old->current;
  v->keeps_lost = false;
  Publish(v);
  gallery::ShardFilter filter;
  filter.shards = old->current->shards();
  filter.holds = [current = old->current](const std::string& group, int shard) {
    return current->Holds(group, shard);
  };
  auto seq = gallery_.SetIndexFilter(std::move(filter));
  if (seq.ok()) {
    auto after = std::make_shared<View>(*v);
    after->loaded_seq = *seq;
    Publish(std::move(after));
  }
  // A failed re-index leaves the lost shards' faces in the indexes: not
  // served (refused), and harmless to the other shards' answers (see
  // SearchShards); the next map change filters again.
  const std::size_t serving = LoadedShards().size();
  if (options_.on_release) options_.on_release(before > serving ? before - serving : 0, serving);
  return true;
}

bool ClusterSearch::Serving() const {
  const auto view = CurrentView();
  return view && view->serving;
}

std::vector<LoadedShard> ClusterSearch::LoadedShards() const { return LoadedShardsOf(CurrentView().get()); }

std::vector<LoadedShard> ClusterSearch::LoadedShardsOf(const View* view) const {
  std::vector<LoadedShard> out;
  if (!view || !view->serving) return out;
  const std::vector<std::string> groups = GroupIds(gallery_);
  for (const std::string& g : groups) {
    for (int s = 0; s < view->serving->shards(); ++s) {
      if (view->serving->Holds(g, s)) {
        out.push_back({g, s, view->loaded_seq, view->current && !view->current->Holds(g, s)});
      }
    }
  }
  return out;
}

Result<std::vector<service::ShardAnswer>> ClusterSearch::SearchShards(const service::ShardQuery& q) const {
  // Read-your-writes: the log applied up to min_seq first (before the view's
  // lock: a map change is not held up by the wait); not reached in time, the
  // shards are refused so that the coordinator asks another replica.
  std::string behind;
  if (q.min_seq > 0) {
    if (Status s = gallery_.WaitForPosition(q.min_seq, q.wait_until); !s.ok()) behind = "behind: " + s.message();
  }
  // Held shared for the whole search: the view cannot change under it.
  std::shared_lock serve(view_mu_);
  std::vector<service::ShardAnswer> out(q.shards.size());
  for (std::size_t i = 0; i < q.shards.size(); ++i) out[i].shard = q.shards[i];
  if (!behind.empty()) {
    const std::string who = view_ ? " (" + view_->node_id + ")" : "";
    for (auto& a : out) a.refused = behind + who;
    return out;
  }
  if (!view_ || !view_->serving) {
    for (auto& a : out) a.refused = "not loaded here (no shard map yet)";
    return out;
  }
  Owned& serving = *view_->serving;
  const std::string& self = view_->node_id;
  const std::int64_t applied = gallery_.applied_seq();
  std::map<std::string, std::map<std::uint32_t, std::size_t>> wanted;  // group -> shard -> answer
  for (std::size_t i = 0; i < q.shards.size(); ++i) {
    const service::ShardRef& ref = q.shards[i];
    out[i].applied_seq = applied;
    if (!serving.Holds(ref.group_id, static_cast<int>(ref.shard))) {
      out[i].refused = "not loaded here (" + self + ")";
      continue;
    }
    wanted[ref.group_id][ref.shard] = i;
    if (!q.hedge && view_->keeps_lost && !view_->current->Holds(ref.group_id, static_cast<int>(ref.shard))) {
      // A lost shard still asked: its new owners do not serve it yet. Not a
      // hedge: a slow current replica says nothing of that (a new owner that
      // hangs does not answer ReleaseIdleShards' probe either).
      lost_asked_ms_.store(NowMs());
    }
  }
  const int shards = serving.shards();
  gallery_.Read([&](const gallery::Catalog& c) {
    for (const auto& [group_id, by_shard] : wanted) {
      const gallery::GroupState* g = c.GroupById(group_id);
      std::string refused;
      if (g == nullptr) {
        refused = "group " + group_id + " not known here yet (" + self + ")";
      } else if (g->record.face_model_version != q.face_model_version ||
                 g->faces->dim() != static_cast<int>(q.query.size())) {
        refused = "group " + group_id + " is of face model version " + g->record.face_model_version + " here, not " +
                  q.face_model_version;
      }
      if (!refused.empty()) {
        for (const auto& [shard, i] : by_shard) out[i].refused = refused;
        continue;
      }
      // The group's index holds every shard this node serves: its top k is
      // a superset of each asked shard's top k (shard_merge.h's argument
      // holds for any union of shards), split by shard.
      if (q.persons) {
        for (const gallery::SearchHit& h : c.Search({g->record.key}, q.query.data(), q.k, /*persons=*/true)) {
          const gallery::PersonState* p = c.PersonByKey(h.key);
          if (p == nullptr) continue;
          auto it = by_shard.find(static_cast<std::uint32_t>(ShardOfPerson(p->record.id, shards)));
          if (it != by_shard.end()) out[it->second].hits.push_back({"", p->record.id, group_id, h.similarity});
        }
        continue;
      }
      for (const gallery::SearchHit& h : c.Search({g->record.key}, q.query.data(), q.k, /*persons=*/false)) {
        const gallery::FaceState* f = c.FaceByKey(h.key);
        const gallery::PersonState* p = f ? c.PersonByKey(f->person_key) : nullptr;
        if (p == nullptr) continue;
        auto it = by_shard.find(static_cast<std::uint32_t>(ShardOfFace(f->id, shards)));
        if (it == by_shard.end()) continue;
        out[it->second].hits.push_back({f->id.str(), p->record.id, group_id, h.similarity});
      }
    }
  });
  return out;
}

Result<service::RoutedSearchResult> ClusterSearch::SearchFaces(const service::RoutedSearchQuery& q) const {
  const auto view = CurrentView();
  if (!view || !view->map) {
    return Status(StatusCode::kUnavailable, "this node has no shard map yet (joining the cluster)");
  }
  const ShardMap& map = *view->map;
  const auto shards = static_cast<std::uint32_t>(map.shards());
  const std::string& self = view->node_id;
  // Routes: route id = group index x S + shard; itself first where it is a
  // replica, then the replicas that did not refuse the shard in the last
  // second, then the shard's owners under the previous maps (they keep it
  // until its new owners serve it), each by lowest recent p95 (ReplicaOrder).
  std::vector<ShardRoute> routes;
  std::set<std::string> first_remote;
  ReplicaOrder order(self, latencies_, remote_->refusals());
  for (std::size_t gi = 0; gi < q.group_ids.size(); ++gi) {
    for (std::uint32_t s = 0; s < shards; ++s) {
      std::vector<std::string> replicas = map.Replicas(q.group_ids[gi], static_cast<int>(s));
      static const std::vector<std::string> kNone;
      order.Sort(&replicas, {q.group_ids[gi], s},
                 view->previous ? view->previous->Of(q.group_ids[gi], static_cast<int>(s)) : kNone);
      if (replicas.empty()) replicas.push_back("(no live node)");
      if (replicas.front() != self) first_remote.insert(replicas.front());
      routes.push_back({static_cast<std::uint32_t>(gi) * shards + s, std::move(replicas)});
    }
  }
  ScatterOptions so;
  so.top_k = q.max_persons;
  so.allow_partial = q.allow_partial;
  so.deadline_us = options_.deadline_ms * 1000;
  // The caller's deadline, when sooner: the shards get 90 % of the time left
  // so that the answer (or the error naming the shards) reaches the caller
  // before it gives up.
  bool caller_bound = false;
  if (q.deadline) {
    const std::int64_t left_us =
        std::chrono::duration_cast<std::chrono::microseconds>(*q.deadline - std::chrono::steady_clock::now()).count();
    if (left_us <= 1000) {
      return Status(StatusCode::kDeadlineExceeded, "the caller's deadline passed before the shards were asked");
    }
    if (left_us - left_us / 10 < so.deadline_us) {
      so.deadline_us = left_us - left_us / 10;
      caller_bound = true;
    }
  }
  so.hedge_after_us = 0;  // all local: nothing to hedge
  for (const std::string& n : first_remote) {
    so.hedge_after_us = std::max(so.hedge_after_us, latencies_.HedgeAfterUs(n, so.deadline_us));
  }
  // Faces: enough for max_persons distinct persons from one shard; persons
  // are in one shard per group, each once.
  const auto k = static_cast<std::uint32_t>(q.persons ? q.max_persons
                                                      : ShardFaceBudget(q.max_persons, q.max_faces_per_person));
  std::string query_bytes(q.query.size() * sizeof(float), '\0');
  std::memcpy(query_bytes.data(), q.query.data(), query_bytes.size());  // little-endian hosts
  // By value: a hedge's losing call answers after this function returned.
  const std::function<service::ShardRef(std::uint32_t)> ref_of_route =
      [shards, group_ids = q.group_ids](std::uint32_t route) {
        return service::ShardRef{group_ids[route / shards], route % shards};
      };
  ShardClient* remote = remote_.get();
  const ShardTransport transport = [&](const ShardRequest& r, std::function<void(ShardReply)> done) {
    if (r.node == self) {  // no network hop
      service::ShardQuery sq;
      sq.query = q.query;
      sq.face_model_version = q.face_model_version;
      sq.k = k;
      sq.persons = q.persons;
      sq.hedge = r.hedge;
      // The transport had this node reach min_seq before the search
      // (FaceService::AwaitChangePosition); a direct caller gets half the time.
      sq.min_seq = q.min_seq;
      sq.wait_until = std::chrono::steady_clock::now() + std::chrono::microseconds(so.deadline_us / 2);
      for (std::uint32_t route : r.shards) sq.shards.push_back(ref_of_route(route));
      auto answers = SearchShards(sq);
      done(answers.ok() ? ReplyFromAnswers(r.id, r.node, r.shards, ref_of_route, *answers)
                        : FailedReply(r.id, answers.status()));
      return;
    }
    ShardCall call;
    call.query_bytes = query_bytes;
    call.face_model_version = q.face_model_version;
    call.k = k;
    call.deadline_us = so.deadline_us;
    call.min_seq = q.min_seq;
    call.persons = q.persons;
    remote->SearchRoutes(r, view->members, std::move(call), ref_of_route, std::move(done));
  };
  ScatterOutcome outcome = RunScatterGather(std::move(routes), so, transport);
  if (!outcome.status.ok()) {
    if (caller_bound && outcome.status.code() == StatusCode::kUnavailable) {
      return Status(StatusCode::kDeadlineExceeded,
                    "the caller's deadline (" + std::to_string(so.deadline_us / 1000) +
                        " ms for the shards) passed: " + outcome.status.message());
    }
    return outcome.status;
  }
  service::RoutedSearchResult result;
  for (const ShardHit& h : outcome.hits) result.hits.push_back({h.face_id, h.person_id, h.group_id, h.similarity});
  for (std::uint32_t route : outcome.missing) {
    result.missing_shards.push_back(q.group_ids[route / shards] + "/" + std::to_string(route % shards));
  }
  return result;
}

}  // namespace facekit::cluster
