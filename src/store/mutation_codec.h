// A mutation as one self-contained JSON document: the change log's payload
// (docs/scale-out.md). Vectors are base64 of their float32 bytes (as the
// stores keep them; arrays of numbers, as written before 2026-12-07, are
// still read): a 192-D face is ~1.4 KB, under PostgreSQL's 2 KB TOAST
// threshold, so the log's rows are neither compressed nor stored apart. Placeholders are resolved before encoding, so a
// decoded mutation names stored keys only and an insert carries its own key; a follower replays it with Gallery's
// in-memory apply exactly as the writer did.
#pragma once

#include <cstdint>
#include <string>

#include "store/gallery_store.h"

namespace facekit::store {

// A placeholder (negative, store::Placeholder) is the key of an earlier
// insert of the batch: keys[i] of the i-th mutation; kInternal when it names
// no insert. Other keys are returned as they are.
Result<std::int64_t> ResolvePlaceholder(std::int64_t key, const std::vector<std::int64_t>& keys);

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
