// Following a shared store's change log (docs/scale-out.md): every node of a
// cluster applies all committed batches, its own included, in commit order.
#include <chrono>

#include "gallery/gallery.h"

namespace facekit::gallery {

Status Gallery::CatchUp() {
  std::lock_guard writer(writer_mu_);
  return CatchUpLocked();
}

std::int64_t Gallery::applied_seq() const {
  std::shared_lock lock(state_mu_);
  return applied_seq_;
}

Status Gallery::CatchUpLocked() {
  if (!store_->shared()) return Status::Ok();
  while (true) {
    FACEKIT_ASSIGN_OR_RETURN(std::vector<store::LoggedBatch> batches, store_->ReadLog(applied_seq_, 256));
    if (batches.empty()) return Status::Ok();
    for (const store::LoggedBatch& b : batches) {
      std::unique_lock lock(state_mu_);
      Status s = ApplyInMemory(b.batch, b.keys);
      applied_seq_ = b.last_seq;
      if (!s.ok()) {
        lock.unlock();
        (void)ReconcileIndexes(/*use_snapshots=*/false);
        return Status(StatusCode::kInternal, "replaying the change log failed at sequence " +
                                                 std::to_string(b.last_seq) + " (" + s.message() +
                                                 "); indexes were rebuilt from the store");
      }
    }
  }
}

void Gallery::StartFollower() {
  follower_ = std::thread([this] { FollowerLoop(); });
}

void Gallery::FollowerLoop() {
  while (!follow_stop_) {
    std::int64_t after;
    {
      std::shared_lock lock(state_mu_);
      after = applied_seq_;
    }
    // Short waits so that destruction is not held up by a long one.
    (void)store_->WaitForLog(after, std::min(options_.follow_interval_ms, 200));
    if (follow_stop_) return;
    std::lock_guard writer(writer_mu_);
    (void)CatchUpLocked();  // a failure (database away) is retried on the next round
  }
}

}  // namespace facekit::gallery
