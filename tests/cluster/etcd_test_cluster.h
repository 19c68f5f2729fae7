// etcd_test_cluster.h - a private etcd cluster of N members for one test
// (cluster::LocalEtcd, src/cluster/local_servers.h: loopback ports found by
// binding port 0, data in a new /tmp folder, fast elections). Members are
// killed (SIGKILL) and the folder removed on destruction.
#pragma once

#include <string>

#include "cluster/local_servers.h"

namespace facekit::testing {

using EtcdTestCluster = cluster::LocalEtcd;

}  // namespace facekit::testing

// In a TEST: skip when etcd is absent, fail when the cluster does not start.
#define START_ETCD_OR_SKIP(cluster)                                                 \
  if (::facekit::testing::EtcdTestCluster::Binary().empty()) {                      \
    GTEST_SKIP() << "etcd not installed (apt-get install etcd-server etcd-client)"; \
  }                                                                                 \
  if (std::string why = (cluster).Start(); !why.empty()) {                          \
    FAIL() << why;                                                                  \
  }                                                                                 \
  static_assert(true)
