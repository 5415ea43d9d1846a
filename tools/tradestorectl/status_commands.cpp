// health, stats and expire: one or three GETs/POSTs each, printed as text or --json.
#include <rapidjson/document.h>

#include <iomanip>
#include <iostream>
#include <optional>

#include "commands.h"
#include "json_output.h"

namespace tradestore::ctl {
namespace {

std::optional<rapidjson::Document> object_of(const Answer& answer) {
    rapidjson::Document document;
    document.Parse(answer.body.c_str(), answer.body.size());
    if (document.HasParseError() || !document.IsObject()) return std::nullopt;
    return document;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
    return object.HasMember(name) && object[name].IsString() ? object[name].GetString() : "";
}

}  // namespace

int fail(const std::string& what, const Answer& answer) {
    std::cerr << "tradestorectl: " << what << ": HTTP " << answer.status << ": "
              << detail_of(answer) << "\n";
    return kExitError;
}

int health_command(Client& client, const Options& options) {
    const Answer answer = client.send("GET", "/api/v1/health");
    if (answer.status != 200) return fail("GET /api/v1/health", answer);
    auto health = object_of(answer);
    if (!health) return fail("GET /api/v1/health: not a JSON object", answer);
    const Answer live = client.send("GET", "/api/v1/health/live");
    const Answer ready = client.send("GET", "/api/v1/health/ready");
    const int code = ready.status == 200 ? kExitOk : kExitPartial;
    if (options.json) {
        auto& a = health->GetAllocator();
        health->AddMember("live", live.status == 200, a);
        health->AddMember("ready", ready.status == 200, a);
        if (ready.status != 200) {
            health->AddMember("not_ready_because", rapidjson::Value(detail_of(ready).c_str(), a),
                              a);
        }
        print_json(*health);
        return code;
    }
    std::cout << "status:   " << string_member(*health, "status") << "\n";
    std::cout << "version:  " << string_member(*health, "version") << "\n";
    if (health->HasMember("services") && (*health)["services"].IsObject()) {
        // Through a const value: clang finds a non-const member iterator's != ambiguous in C++20.
        const rapidjson::Value& services = (*health)["services"];
        for (const auto& service : services.GetObject()) {
            std::cout << "service:  " << service.name.GetString() << " "
                      << (service.value.IsString() ? service.value.GetString() : "?") << "\n";
        }
    }
    std::cout << "live:     " << (live.status == 200 ? "yes" : "no") << "\n";
    std::cout << "ready:    " << (ready.status == 200 ? "yes" : "no (" + detail_of(ready) + ")")
              << "\n";
    return code;
}

int stats_command(Client& client, const Options& options) {
    const Answer answer = client.send("GET", "/api/v1/statistics");
    if (answer.status != 200) return fail("GET /api/v1/statistics", answer);
    const auto document = object_of(answer);
    if (!document) return fail("GET /api/v1/statistics: not a JSON object", answer);
    if (options.json) {
        print_json(*document);
        return kExitOk;
    }
    for (const auto& member : document->GetObject()) {
        if (!member.value.IsInt64()) continue;
        std::cout << std::left << std::setw(16) << (std::string(member.name.GetString()) + ":")
                  << member.value.GetInt64() << "\n";
    }
    return kExitOk;
}

int expire_command(Client& client, const Options& options) {
    const Answer answer = client.send("POST", "/api/v1/expire-trades");
    if (answer.status != 200) return fail("POST /api/v1/expire-trades", answer);
    const auto document = object_of(answer);
    if (!document || !document->HasMember("trades_expired") ||
        !(*document)["trades_expired"].IsInt64()) {
        return fail("POST /api/v1/expire-trades: unexpected answer", answer);
    }
    if (options.json) {
        print_json(*document);
    } else {
        std::cout << "expired " << (*document)["trades_expired"].GetInt64() << " trade(s)\n";
    }
    return kExitOk;
}

}  // namespace tradestore::ctl
