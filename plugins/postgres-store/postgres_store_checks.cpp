#include "postgres_store_checks.h"

#include <libpq-fe.h>
#include <tradestore/path_checks.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace tradestore::plugins {
namespace {

constexpr std::array<std::string_view, 6> kSslModes = {"disable", "allow",     "prefer",
                                                       "require", "verify-ca", "verify-full"};
// Connection keywords naming a file libpq reads when it connects.
constexpr std::array<std::string_view, 4> kFileKeywords = {"sslrootcert", "sslcert", "sslkey",
                                                           "sslcrl"};

struct ConninfoFree {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// Problems with one connection string (`key` names the setting): parsed as libpq would,
// without connecting. libpq's message is kept: it names the bad part, never the password.
void check_conninfo(const std::string& key, const std::string& conninfo,
                    std::vector<SettingProblem>& problems) {
    if (conninfo.empty()) {
        problems.push_back({key, "must not be empty"});
        return;
    }
    char* raw_error = nullptr;
    std::unique_ptr<PQconninfoOption, ConninfoFree> options(
        PQconninfoParse(conninfo.c_str(), &raw_error));
    if (!options) {
        std::string error = raw_error != nullptr ? raw_error : "out of memory";
        PQfreemem(raw_error);
        while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
        problems.push_back({key, "not a libpq connection string: " + error});
        return;
    }
    for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
        if (option->val == nullptr || *option->val == '\0') continue;
        const std::string_view keyword = option->keyword;
        const std::string value = option->val;
        if (keyword == "sslmode" &&
            std::find(kSslModes.begin(), kSslModes.end(), value) == kSslModes.end()) {
            problems.push_back({key, "sslmode '" + value +
                                         "' is not one of disable, allow, prefer, require, "
                                         "verify-ca or verify-full"});
        }
        // "system" is libpq's name for the operating system's CA store (PostgreSQL 16).
        if (std::find(kFileKeywords.begin(), kFileKeywords.end(), keyword) != kFileKeywords.end() &&
            value != "system") {
            if (std::string problem = file_read_problem(value); !problem.empty())
                problems.push_back({key, std::string(keyword) + ": " + problem});
        }
    }
}

}  // namespace

std::vector<SettingProblem> check_postgres_store_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    check_conninfo("uri", settings.get_string("uri"), problems);
    const bool has_owner =
        settings.has("schema_owner_uri") && !settings.get_string("schema_owner_uri").empty();
    if (has_owner)
        check_conninfo("schema_owner_uri", settings.get_string("schema_owner_uri"), problems);
    if (settings.has("read_uri")) {
        for (const std::string& uri : settings.get_list("read_uri"))
            check_conninfo("read_uri", uri, problems);
    }
    if (settings.get_int("audit_min_retention_days") > 0 && !has_owner) {
        problems.push_back({"audit_min_retention_days",
                            "needs schema_owner_uri (only the schema's owner can set the floor)"});
    }
    return problems;
}

}  // namespace tradestore::plugins
