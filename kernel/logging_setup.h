// Configures Poco's logging from the kernel settings: console or file, one level for all, and
// the line format: plain text or JSON lines. Every line passes a redaction step that replaces
// the values of the config's Secret settings, so no secret reaches a log.
#pragma once

#include <tradestore/host.h>

#include <string>
#include <string_view>
#include <vector>

namespace Poco {
class Message;
}

namespace tradestore::kernel {

enum class LogFormat : std::uint8_t { Plain, Json };

void configure_logging(const std::string& level, const std::string& log_file,
                       LogFormat format = LogFormat::Plain, std::vector<std::string> secrets = {});

// Stores request_id, trade_id and source as the message's parameters (when not empty).
void set_log_context(Poco::Message& message, const LogContext& context);

// One formatted line, without the newline: plain is
//   2026-11-24T06:20:00.000Z Information rest-source: text [request_id=r1 trade_id=T1]
// and JSON is one object: {"time","level","logger","message"} plus the context fields.
std::string format_log_line(const Poco::Message& message, LogFormat format);

// The secrets given to configure_logging (or set here, for tests): every occurrence of one
// in `text` becomes "***".
void set_log_secrets(std::vector<std::string> secrets);
std::string redact_secrets(std::string text);

}  // namespace tradestore::kernel
