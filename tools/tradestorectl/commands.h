// tradestorectl's commands, each a function of the connection and the parsed command line
// (options.positional[0] is the command's name, the rest its arguments), returning the exit
// code. main.cpp lists them in one table; a new command is one line there.
#pragma once

#include "http_client.h"
#include "options.h"

namespace tradestore::ctl {

// Exit codes (docs/tradestorectl.md lists them).
constexpr int kExitOk = 0;
constexpr int kExitError = 1;    // unreachable, TLS refused, an error answer, an unreadable file
constexpr int kExitUsage = 2;    // a mistake on the command line
constexpr int kExitPartial = 3;  // import: some lines not accepted; health: not ready
constexpr int kExitRefused = 4;  // 401 or 403: the token is missing, unknown, or its role may not

int health_command(Client& client, const Options& options);
int stats_command(Client& client, const Options& options);
int expire_command(Client& client, const Options& options);
int metrics_command(Client& client, const Options& options);
int import_command(Client& client, const Options& options);
int history_command(Client& client, const Options& options);
int snapshot_command(Client& client, const Options& options);

// "tradestorectl: WHAT: HTTP 500: detail" on standard error; returns kExitError.
int fail(const std::string& what, const Answer& answer);

}  // namespace tradestore::ctl
