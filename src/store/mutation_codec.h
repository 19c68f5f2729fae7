// A mutation as one self-contained JSON document: the change log's payload
// (docs/scale-out.md). Placeholders are resolved before encoding, so a decoded
// mutation names stored keys only and an insert carries its own key; a
// follower replays it with Gallery's in-memory apply exactly as the writer did.
#pragma once

#include <cstdint>
#include <string>

#include "store/gallery_store.h"

namespace facekit::store {

// `keys`: the batch's keys so far (placeholders resolve against them);
// `own_key`: the key the store gave this mutation (inserts), else 0.
Result<std::string> EncodeMutation(const Mutation& mutation, const std::vector<std::int64_t>& keys,
                                   std::int64_t own_key);

struct DecodedMutation {
  Mutation mutation;
  std::int64_t key = 0;  // the insert's key, 0 for other mutations
};

// kDataCorrupt naming what is wrong when `text` is not an encoded mutation.
Result<DecodedMutation> DecodeMutation(const std::string& text);

}  // namespace facekit::store
