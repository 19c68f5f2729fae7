#include "cluster/membership.h"

#include <algorithm>

namespace facekit::cluster {

Result<std::unique_ptr<Membership>> Membership::Join(EtcdClient* client, const std::string& node_id,
                                                     const std::string& address, MembershipOptions options,
                                                     OnChange on_change) {
  if (!client) return Status(StatusCode::kInvalidArgument, "no etcd client");
  if (node_id.empty() || node_id.find('/') != std::string::npos) {
    return Status(StatusCode::kInvalidArgument, "a node id is a non-empty name without '/', not '" + node_id + "'");
  }
  if (options.ttl_s < 1) return Status(StatusCode::kInvalidArgument, "the lease TTL must be at least 1 s");
  std::unique_ptr<Membership> m(new Membership(client, std::move(options), std::move(on_change)));
  m->node_id_ = node_id;
  m->address_ = address;
  FACEKIT_RETURN_IF_ERROR(m->Register());
  if (Status s = m->Resync(); !s.ok()) {
    m->keepalive_.reset();
    (void)client->RevokeLease(m->lease_);
    m->lease_ = 0;
    return s;
  }
  m->maintenance_ = std::thread([p = m.get()] { p->MaintenanceLoop(); });
  return m;
}

Result<std::unique_ptr<Membership>> Membership::Observe(EtcdClient* client, MembershipOptions options,
                                                        OnChange on_change) {
  if (!client) return Status(StatusCode::kInvalidArgument, "no etcd client");
  std::unique_ptr<Membership> m(new Membership(client, std::move(options), std::move(on_change)));
  FACEKIT_RETURN_IF_ERROR(m->Resync());
  m->maintenance_ = std::thread([p = m.get()] { p->MaintenanceLoop(); });
  return m;
}

Membership::~Membership() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (maintenance_.joinable()) maintenance_.join();
  watch_.reset();
  keepalive_.reset();
  // A clean leave: the node is gone at once. After StopKeepAlive (a simulated
  // crash) the lease is left to expire.
  if (lease_ != 0 && !abandoned_) (void)client_->RevokeLease(lease_);
}

MemberList Membership::members() const {
  std::lock_guard lock(mu_);
  return members_;
}

std::int64_t Membership::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

void Membership::StopKeepAlive() {
  {
    std::lock_guard lock(mu_);
    keepalive_stopped_ = true;
    abandoned_ = true;
  }
  cv_.notify_all();
}

bool Membership::WaitFor(const std::function<bool(const MemberList&)>& done, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done(delivered_); });
}

Status Membership::Register() {
  FACEKIT_ASSIGN_OR_RETURN(const std::int64_t lease, client_->GrantLease(options_.ttl_s));
  if (auto put = client_->Put(options_.prefix + node_id_, address_, lease); !put.ok()) {
    (void)client_->RevokeLease(lease);
    return put.status();
  }
  {
    std::lock_guard lock(mu_);
    lease_ = lease;
  }
  const auto interval = std::chrono::milliseconds(std::max<std::int64_t>(options_.ttl_s * 1000 / 3, 100));
  keepalive_ = client_->KeepAlive(lease, interval, [this] {
    {
      std::lock_guard lock(mu_);
      lease_lost_ = true;
    }
    cv_.notify_all();
  });
  return Status::Ok();
}

Status Membership::Resync() {
  watch_.reset();
  FACEKIT_ASSIGN_OR_RETURN(EtcdRange range, client_->GetPrefix(options_.prefix));
  {
    std::lock_guard lock(mu_);
    members_.clear();
    for (const auto& kv : range.kvs) members_[kv.key.substr(options_.prefix.size())] = kv.value;
    revision_ = range.revision;
  }
  Notify();
  watch_ = client_->WatchPrefix(
      options_.prefix, range.revision + 1, [this](const std::vector<EtcdEvent>& events) { Apply(events); },
      [this](const Status&) {
        {
          std::lock_guard lock(mu_);
          watch_broken_ = true;
        }
        cv_.notify_all();
      });
  return Status::Ok();
}

void Membership::Apply(const std::vector<EtcdEvent>& events) {
  {
    std::lock_guard lock(mu_);
    for (const EtcdEvent& e : events) {
      if (e.kv.key.compare(0, options_.prefix.size(), options_.prefix) != 0) continue;
      const std::string id = e.kv.key.substr(options_.prefix.size());
      if (e.type == EtcdEvent::Type::kPut) {
        members_[id] = e.kv.value;
      } else {
        members_.erase(id);
      }
      revision_ = std::max(revision_, e.kv.mod_revision);
    }
  }
  Notify();
}

void Membership::Notify() {
  std::lock_guard order(notify_mu_);  // taken before the copy: lists arrive in order
  MemberList list = members();
  if (on_change_) on_change_(list);
  {
    std::lock_guard lock(mu_);
    delivered_ = std::move(list);
  }
  cv_.notify_all();
}

void Membership::MaintenanceLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || lease_lost_ || watch_broken_ || keepalive_stopped_; });
    if (stop_) return;
    if (keepalive_stopped_) {
      keepalive_stopped_ = false;
      lock.unlock();
      keepalive_.reset();
      lock.lock();
      continue;
    }
    const bool lease = lease_lost_, watch = watch_broken_;
    lease_lost_ = watch_broken_ = false;
    lock.unlock();
    Status s = Status::Ok();
    if (lease) {
      keepalive_.reset();
      s = Register();
    }
    if (s.ok() && watch) s = Resync();
    lock.lock();
    if (!s.ok()) {
      // etcd unreachable: try again shortly.
      lease_lost_ = lease_lost_ || lease;
      watch_broken_ = watch_broken_ || watch;
      cv_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; });
    }
  }
}

}  // namespace facekit::cluster
