// Linked into every test executable that uses the shared test server (the postgres_server
// CTest fixture or TRADESTORE_TEST_PG_URI): without one, all its tests skip, or fail when
// CI=true.
#include <gtest/gtest.h>

#include "pg_test_support.h"

namespace tradestore::pgtest {
namespace {

// Every test of the executable needs the server: skip them all without one, fail in CI.
class ServerCheck final : public ::testing::Environment {
  public:
    void SetUp() override {
        if (server_uri()) return;
        if (running_in_ci()) {
            FAIL() << "no PostgreSQL test server: set TRADESTORE_TEST_PG_URI or run the "
                      "tests through ctest (the postgres_server fixture starts one)";
        }
        // Spelled so that CTest sees the skip (gtest prints no "[  SKIPPED ]" line for tests
        // skipped by a global environment).
        GTEST_SKIP() << "[  SKIPPED ] no PostgreSQL test server (TRADESTORE_TEST_PG_URI unset "
                        "and no server started by the postgres_server fixture)";
    }
};

[[maybe_unused]] const auto* const kServerCheck =
    ::testing::AddGlobalTestEnvironment(new ServerCheck);

}  // namespace
}  // namespace tradestore::pgtest
