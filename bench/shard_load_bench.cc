// Start-up load of a cluster node that owns some shards, against the whole
// gallery (docs/scale-out.md): a synthetic group in a PostgreSQL database,
// opened as one node would (Gallery::Open with the node's shard filter) and
// as an unsharded node would (no filter); then the node's re-index when the
// map changes (a node leaves; this one gains shards). Prints time, face
// vectors and persons' fused features read from the store, faces indexed. A benchmark, not a test.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "cluster/shard_map.h"
#include "eval/synthetic_gallery.h"
#include "gallery/gallery.h"
#include "store/postgres_store.h"

namespace {

using namespace facekit;

constexpr const char* kGroup = "bench-shard-load";

double MsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Creates the group with `faces` faces (`per_person` per person) unless the
// database already holds it with that many.
Status Populate(const std::string& uri, std::size_t faces, std::size_t per_person, std::uint64_t seed) {
  FACEKIT_ASSIGN_OR_RETURN(auto store, store::OpenPostgresStore(uri));
  FACEKIT_ASSIGN_OR_RETURN(store::StoreContents c, store->Load(false));
  for (const auto& g : c.groups) {
    if (g.id != kGroup) continue;
    if (c.faces.size() == faces) return Status::Ok();
    return Status(StatusCode::kFailedPrecondition, "the database holds group " + std::string(kGroup) + " with " +
                                                       std::to_string(c.faces.size()) + " faces; use an empty one");
  }
  store::Batch b;
  b.push_back(store::mutation::InsertGroup{{0, kGroup, kGroup, "", {}, "3.0", 1}});
  FACEKIT_ASSIGN_OR_RETURN(auto keys, store->Apply(b));
  const std::int64_t gkey = keys[0];
  eval::SyntheticOptions so;
  so.faces_per_identity = per_person;
  so.seed = seed;
  eval::SyntheticGallery synth(so);
  const std::vector<float> rows = synth.Faces(faces);
  for (std::size_t at = 0; at < faces;) {
    b.clear();
    while (at < faces && b.size() < 600) {
      const std::size_t person = at / per_person;
      if (at % per_person == 0) {
        b.push_back(store::mutation::InsertPerson{{0, "p" + std::to_string(person), "", 0, 1}});
        b.push_back(store::mutation::InsertMembership{{gkey, store::Placeholder(b.size() - 1), {}, 1}});
      }
      // The person inserted last in this batch, or an earlier batch's.
      std::int64_t pkey = 0;
      for (std::size_t i = b.size(); i-- > 0;) {
        if (std::holds_alternative<store::mutation::InsertPerson>(b[i])) {
          pkey = store::Placeholder(i);
          break;
        }
      }
      if (pkey == 0) return Status(StatusCode::kInternal, "batch split inside a person");
      store::FaceRecord f;
      f.id = "f" + std::to_string(at);
      f.person_key = pkey;
      f.model_version = "3.0";
      f.embedding.assign(rows.begin() + static_cast<std::ptrdiff_t>(at * 192),
                         rows.begin() + static_cast<std::ptrdiff_t>((at + 1) * 192));
      b.push_back(store::mutation::InsertFace{std::move(f)});
      ++at;
      if (at % per_person == 0 && b.size() >= 600) break;
    }
    FACEKIT_RETURN_IF_ERROR(store->Apply(b).status());
  }
  return Status::Ok();
}

struct Figure {
  double ms = 0;
  std::int64_t vectors_read = 0;
  std::int64_t person_features_read = 0;
  std::size_t faces_indexed = 0;
};

gallery::ShardFilter FilterOf(std::shared_ptr<const cluster::ShardMap> map, const std::string& node) {
  auto held = std::make_shared<std::set<int>>();
  for (int s : map->ShardsOf(node, kGroup)) held->insert(s);
  gallery::ShardFilter f;
  f.shards = map->shards();
  f.holds = [held](const std::string&, int shard) { return held->count(shard) != 0; };
  return f;
}

std::size_t Indexed(const gallery::Gallery& g) {
  return g.Read([](const gallery::Catalog& c) {
    std::size_t n = 0;
    for (const auto* group : c.Groups()) n += group->faces->size();
    return n;
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Start-up load of a cluster node owning some shards vs the whole gallery (PostgreSQL)"};
  std::string uri;
  std::size_t faces = 5000, per_person = 2;
  int nodes = 4, replicas = 2, rounds = 3;
  std::uint64_t seed = 42;
  bool json = false;
  app.add_option("--store", uri, "postgres:// URI of a database for the benchmark's group")->required();
  app.add_option("--faces", faces, "Faces in the group")->check(CLI::Range(1, 10000000));
  app.add_option("--faces-per-person", per_person, "Faces per person")->check(CLI::Range(1, 100));
  app.add_option("--nodes", nodes, "Nodes in the map")->check(CLI::Range(2, 1000));
  app.add_option("--replicas", replicas, "Replicas per shard")->check(CLI::Range(1, 10));
  app.add_option("--rounds", rounds, "Measurements of each")->check(CLI::Range(1, 100));
  app.add_option("--seed", seed, "Generator seed");
  app.add_flag("--json", json, "One JSON object on stdout");
  CLI11_PARSE(app, argc, argv);

  if (Status s = Populate(uri, faces, per_person, seed); !s.ok()) {
    std::cerr << "populating: " << s.ToString() << "\n";
    return 1;
  }
  std::vector<std::string> ids;
  for (int i = 1; i <= nodes; ++i) ids.push_back("node-" + std::to_string(i));
  auto before = std::make_shared<const cluster::ShardMap>(ids, cluster::kDefaultShards, replicas);
  std::vector<std::string> fewer(ids.begin(), ids.end() - 1);  // the last node leaves
  auto after = std::make_shared<const cluster::ShardMap>(fewer, cluster::kDefaultShards, replicas);
  const std::size_t owned = before->ShardsOf("node-1", kGroup).size();
  const std::size_t owned_after = after->ShardsOf("node-1", kGroup).size();

  const store::GalleryStore* raw = nullptr;  // the store of the gallery opened last
  auto open = [&](gallery::ShardFilter filter, Figure* fig) -> Result<std::unique_ptr<gallery::Gallery>> {
    FACEKIT_ASSIGN_OR_RETURN(auto store, store::OpenPostgresStore(uri));
    raw = store.get();
    gallery::GalleryOptions go;
    go.dim = 192;
    go.index_filter = std::move(filter);
    const auto t = std::chrono::steady_clock::now();
    FACEKIT_ASSIGN_OR_RETURN(auto g, gallery::Gallery::Open(std::move(store), go));
    fig->ms = MsSince(t);
    fig->vectors_read = raw->vectors_read();
    fig->person_features_read = raw->person_features_read();
    fig->faces_indexed = Indexed(*g);
    return g;
  };

  std::vector<Figure> whole(static_cast<std::size_t>(rounds)), node(whole.size()), reindex(whole.size());
  for (std::size_t r = 0; r < whole.size(); ++r) {
    auto w = open({}, &whole[r]);
    if (!w.ok()) {
      std::cerr << w.status().ToString() << "\n";
      return 1;
    }
    w->reset();
    auto n = open(FilterOf(before, "node-1"), &node[r]);
    if (!n.ok()) {
      std::cerr << n.status().ToString() << "\n";
      return 1;
    }
    const std::int64_t read_before = raw->vectors_read();
    const auto t = std::chrono::steady_clock::now();
    auto seq = (*n)->SetIndexFilter(FilterOf(after, "node-1"));
    reindex[r].ms = MsSince(t);
    if (!seq.ok()) {
      std::cerr << seq.status().ToString() << "\n";
      return 1;
    }
    reindex[r].faces_indexed = Indexed(**n);
    reindex[r].vectors_read = raw->vectors_read() - read_before;
    n->reset();
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto ms = [&](const std::vector<Figure>& f) {
    std::vector<double> v;
    for (const auto& x : f) v.push_back(x.ms);
    return median(v);
  };
  nlohmann::json out = {{"faces", faces},
                        {"faces_per_person", per_person},
                        {"nodes", nodes},
                        {"replicas", replicas},
                        {"shards", cluster::kDefaultShards},
                        {"node_shards", owned},
                        {"node_shards_after_one_left", owned_after},
                        {"rounds", rounds},
                        {"whole_open_ms_median", ms(whole)},
                        {"whole_vectors_read", whole[0].vectors_read},
                        {"whole_faces_indexed", whole[0].faces_indexed},
                        {"node_open_ms_median", ms(node)},
                        {"node_vectors_read", node[0].vectors_read},
                        {"node_person_features_read", node[0].person_features_read},
                        {"node_faces_indexed", node[0].faces_indexed},
                        {"node_reindex_ms_median", ms(reindex)},
                        {"node_reindex_vectors_read", reindex[0].vectors_read},
                        {"node_faces_indexed_after", reindex[0].faces_indexed}};
  if (json) {
    std::cout << out.dump() << "\n";
  } else {
    std::cout << out.dump(2) << "\n";
  }
  return 0;
}
