// pg_test_cluster.h - a private PostgreSQL 15 server for one test
// (cluster::LocalPostgres, src/cluster/local_servers.h: initdb into a new
// /tmp folder, a Unix socket there and no TCP port, run as the `postgres`
// user when the tests run as root). Removed on destruction.
#pragma once

#include <string>

#include "cluster/local_servers.h"

namespace facekit::testing {

using PgTestCluster = cluster::LocalPostgres;

}  // namespace facekit::testing

// In a TEST: skip when PostgreSQL 15 is absent, fail when it does not start.
#define START_PG_OR_SKIP(cluster)                                                   \
  if (::facekit::testing::PgTestCluster::BinDir().empty()) {                        \
    GTEST_SKIP() << "PostgreSQL 15 not installed (apt-get install postgresql-15)"; \
  }                                                                                 \
  if (std::string why = (cluster).Start(); !why.empty()) {                          \
    FAIL() << why;                                                                  \
  }                                                                                 \
  static_assert(true)
