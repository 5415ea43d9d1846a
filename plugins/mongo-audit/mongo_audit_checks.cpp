#include "mongo_audit_checks.h"

#include <tradestore/path_checks.h>

#include <string>

#include "mongo_driver.h"

namespace tradestore::plugins::mongo {

std::vector<SettingProblem> check_mongo_audit_settings(const Settings& settings) {
    std::vector<SettingProblem> problems;
    init_driver();
    bson_error_t error{};
    // The driver's message names the part it cannot parse, never the password.
    UriPtr uri(mongoc_uri_new_with_error(settings.get_string("uri").c_str(), &error));
    if (!uri) {
        problems.push_back(
            {"uri", std::string("not a MongoDB connection string: ") + error.message});
    } else {
        for (const char* option : {MONGOC_URI_TLSCAFILE, MONGOC_URI_TLSCERTIFICATEKEYFILE}) {
            const char* file = mongoc_uri_get_option_as_utf8(uri.get(), option, nullptr);
            if (file == nullptr) continue;
            if (std::string problem = file_read_problem(file); !problem.empty())
                problems.push_back({"uri", std::string(option) + ": " + problem});
        }
    }
    const std::string& database = settings.get_string("database");
    if (database.empty() || database.size() > 63 ||
        database.find_first_of("/\\. \"$") != std::string::npos) {
        problems.push_back({"database", "'" + database +
                                            "' is not a MongoDB database name (1 to 63 "
                                            "characters, none of / \\ . \" $ or space)"});
    }
    return problems;
}

}  // namespace tradestore::plugins::mongo
