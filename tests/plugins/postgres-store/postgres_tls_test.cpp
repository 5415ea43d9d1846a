// postgres-store over TLS with a password, against a server of its own that takes TCP
// connections only over TLS with scram-sha-256 (scripts/pg-test-server.sh start-tls):
// sslmode=verify-full with the right CA works and the session is encrypted; an unrelated CA
// and an unencrypted connection are refused at open() with libpq's reason in the message;
// the password may come from a libpq passfile instead of the URI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>

#include "pg_test_support.h"

namespace tradestore::pgtest {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class PostgresTls : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        if (!PrivateServer::possible()) return;
        try {
            server_ = std::make_unique<PrivateServer>(PrivateServer::Mode::Tls);
        } catch (const std::exception& error) {
            start_error_ = error.what();
        }
    }
    static void TearDownTestSuite() { server_.reset(); }

    void SetUp() override {
        if (!PrivateServer::possible()) {
            GTEST_SKIP() << "TRADESTORE_TEST_PG_URI names an outside server; the TLS tests "
                            "need one of their own";
        }
        if (!server_) {
            if (running_in_ci()) FAIL() << start_error_;
            GTEST_SKIP() << "no PostgreSQL server with TLS: " << start_error_;
        }
    }

    static const PrivateServer& server() { return *server_; }
    // The server's URI (sslmode=verify-full, the test CA) with the role's password.
    static std::string uri_with_password() {
        return with_parameter(server().uri(), "password", server().password());
    }
    // The same URI without its query: no sslmode, no CA.
    static std::string bare_uri() { return server().uri().substr(0, server().uri().find('?')); }

    // Opens a store on `uri`; returns "" or the message of what open() threw.
    static std::string open_error(const std::string& uri) {
        plugins::PostgresStore store(store_options(uri));
        try {
            store.open();
        } catch (const StoreUnavailable& error) {
            return error.what();
        }
        return "";
    }

  private:
    static inline std::unique_ptr<PrivateServer> server_;
    static inline std::string start_error_;
};

TEST_F(PostgresTls, VerifyFullWithTheRightCaWorksAndTheSessionIsEncrypted) {
    const std::string uri = uri_with_password();
    ASSERT_THAT(uri, HasSubstr("sslmode=verify-full"));
    plugins::PostgresStore store(store_options(uri));
    ASSERT_NO_THROW(store.open());
    EXPECT_TRUE(store.healthy());
    Trade trade;
    trade.trade_id = "TLS-1";
    trade.version = 1;
    trade.counter_party_id = "CP";
    trade.book_id = "B";
    trade.maturity_date = contract::kToday + std::chrono::days{10};
    trade.created_date = contract::kToday;
    Batch batch;
    batch.candidates.push_back({std::move(trade), "rest", "r1", {}});
    const auto results = store.apply(batch, {}, contract::kToday);
    ASSERT_EQ(results.size(), 1U);
    EXPECT_EQ(results[0].outcome, Outcome::Created);
    EXPECT_TRUE(store.get("TLS-1", contract::kToday).has_value());

    // Every connection of the role is encrypted, the store's pool included.
    RawConnection raw(uri);
    EXPECT_EQ(raw.scalar("SELECT count(*) FROM pg_stat_activity a "
                         "JOIN pg_stat_ssl s USING (pid) "
                         "WHERE a.application_name = 'tradestored' AND NOT s.ssl"),
              "0");
    EXPECT_NE(raw.scalar("SELECT count(*) FROM pg_stat_activity a "
                         "JOIN pg_stat_ssl s USING (pid) "
                         "WHERE a.application_name = 'tradestored' AND s.ssl"),
              "0");
}

TEST_F(PostgresTls, ThePasswordCanComeFromALibpqPassfile) {
    const std::filesystem::path passfile = server().certs() / "pgpass";
    {
        std::ofstream out(passfile);
        out << "*:*:*:tradestore:" << server().password() << "\n";
    }
    std::filesystem::permissions(
        passfile, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    EXPECT_EQ(open_error(with_parameter(server().uri(), "passfile", passfile.string())), "");
    // Control: without a password the server refuses the role.
    EXPECT_THAT(open_error(with_parameter(server().uri(), "passfile", "/nonexistent")),
                HasSubstr("password"));
}

TEST_F(PostgresTls, AnUnrelatedCaFailsAtOpenWithTheReason) {
    const std::string other_ca = (server().certs() / "other-ca.pem").string();
    const std::string message = open_error(
        with_parameter(with_parameter(with_parameter(bare_uri(), "sslmode", "verify-full"),
                                      "sslrootcert", other_ca),
                       "password", server().password()));
    EXPECT_THAT(message, AllOf(HasSubstr("cannot connect to PostgreSQL"),
                               HasSubstr("certificate verify failed")));
    EXPECT_THAT(message, Not(HasSubstr(server().password())));
}

TEST_F(PostgresTls, AnUnencryptedConnectionIsRefusedByTheServer) {
    const std::string message = open_error(with_parameter(
        with_parameter(bare_uri(), "sslmode", "disable"), "password", server().password()));
    EXPECT_THAT(message, AllOf(HasSubstr("no pg_hba.conf entry"), HasSubstr("no encryption")));
}

TEST_F(PostgresTls, AWrongPasswordIsRefused) {
    const std::string message =
        open_error(with_parameter(server().uri(), "password", "not-the-password"));
    EXPECT_THAT(message, HasSubstr("password authentication failed"));
}

}  // namespace
}  // namespace tradestore::pgtest
