// Following a shared store's change log (docs/scale-out.md): every node of a
// cluster applies all committed batches, its own included, in commit order.
#include <algorithm>
#include <chrono>
#include <thread>

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

std::int64_t Gallery::position() const {
  // Asked on every answer: no lock where there is no log.
  if (!store_->shared()) return 0;
  return std::max(applied_seq(), written_seq_.load());
}

Status Gallery::WaitForPosition(std::int64_t seq, std::chrono::steady_clock::time_point deadline) {
  if (!store_->shared() || applied_seq() >= seq) return Status::Ok();
  Status last = Status::Ok();
  bool read_whole_log = false;  // a catch-up read the log to its end after `seq` was asked
  while (true) {
    std::unique_lock writer(writer_mu_, std::defer_lock);
    if (writer.try_lock_until(deadline)) {
      if (applied_seq() >= seq) return Status::Ok();  // the follower or a write got there first
      last = CatchUpLocked();
      writer.unlock();
      if (applied_seq() >= seq) return Status::Ok();
      // A whole catch-up reads every batch committed before it began, and
      // the position asked for was acknowledged before this call: the log
      // holds no such position.
      if (last.ok()) read_whole_log = true;
    }
    if (read_whole_log) {
      return Status(StatusCode::kInvalidArgument,
                    "the change position " + std::to_string(seq) + " lies past the change log's end (" +
                        std::to_string(applied_seq()) + "): no write to this database returned it");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status(StatusCode::kUnavailable,
                    "this node has applied the change log up to " + std::to_string(applied_seq()) +
                        " and could not reach position " + std::to_string(seq) + " in time" +
                        (last.ok() ? std::string(" (its writer lock stayed held)")
                                   : " (reading the change log failed: " + last.message() + ")"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the database away: try again shortly
  }
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
