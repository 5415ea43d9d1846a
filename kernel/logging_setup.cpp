#include "logging_setup.h"

#include <Poco/AutoPtr.h>
#include <Poco/ConsoleChannel.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/FileChannel.h>
#include <Poco/Formatter.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>
#include <Poco/Message.h>
#include <tradestore/json_text.h>

#include <algorithm>
#include <charconv>
#include <iostream>
#include <memory>
#include <mutex>

namespace tradestore::kernel {

namespace {

constexpr std::string_view kContextKeys[] = {"request_id", "trade_id", "source"};
// The message parameter holding LogContext::fields, rendered as JSON members (",\"a\":1").
const std::string kFieldsKey = "fields";

// What a JSON number may be written as; anything else is quoted, so a line always parses.
bool is_json_number(std::string_view text) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() && !text.empty() &&
           text.front() != '+' && text.find_first_of("nNiI") == std::string_view::npos;
}

// Read on every log line, replaced (rarely) under the mutex.
std::mutex secrets_mutex;
std::shared_ptr<const std::vector<std::string>> secrets_list =
    std::make_shared<const std::vector<std::string>>();

std::shared_ptr<const std::vector<std::string>> current_secrets() {
    std::lock_guard lock(secrets_mutex);
    return secrets_list;
}

std::string_view priority_name(Poco::Message::Priority priority, bool json) {
    switch (priority) {
        case Poco::Message::PRIO_FATAL:
            return json ? "fatal" : "Fatal";
        case Poco::Message::PRIO_CRITICAL:
            return json ? "critical" : "Critical";
        case Poco::Message::PRIO_ERROR:
            return json ? "error" : "Error";
        case Poco::Message::PRIO_WARNING:
            return json ? "warning" : "Warning";
        case Poco::Message::PRIO_NOTICE:
            return json ? "notice" : "Notice";
        case Poco::Message::PRIO_INFORMATION:
            return json ? "info" : "Information";
        case Poco::Message::PRIO_DEBUG:
            return json ? "debug" : "Debug";
        case Poco::Message::PRIO_TRACE:
            return json ? "trace" : "Trace";
    }
    return json ? "info" : "Information";
}

class LineFormatter final : public Poco::Formatter {
  public:
    explicit LineFormatter(LogFormat format) : format_(format) {}
    void format(const Poco::Message& message, std::string& text) override {
        text = format_log_line(message, format_);
    }

  private:
    LogFormat format_;
};

}  // namespace

void set_log_secrets(std::vector<std::string> secrets) {
    std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
    // Longest first, so a secret containing another is replaced whole.
    std::sort(secrets.begin(), secrets.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    auto list = std::make_shared<const std::vector<std::string>>(std::move(secrets));
    std::lock_guard lock(secrets_mutex);
    secrets_list = std::move(list);
}

std::string redact_secrets(std::string text) {
    const auto secrets = current_secrets();
    for (const std::string& secret : *secrets) {
        for (std::size_t at = text.find(secret); at != std::string::npos;
             at = text.find(secret, at + 3)) {
            text.replace(at, secret.size(), "***");
        }
    }
    return text;
}

void set_log_context(Poco::Message& message, const LogContext& context) {
    if (!context.request_id.empty()) message.set("request_id", std::string(context.request_id));
    if (!context.trade_id.empty()) message.set("trade_id", std::string(context.trade_id));
    if (!context.source.empty()) message.set("source", std::string(context.source));
    if (context.fields.empty()) return;
    std::string members;
    for (const LogField& field : context.fields) {
        members.push_back(',');
        append_json_string(members, field.name);
        members.push_back(':');
        const std::string value = redact_secrets(std::string(field.value));
        if (field.number && is_json_number(value)) {
            members.append(value);
        } else {
            append_json_string(members, value);
        }
    }
    message.set(kFieldsKey, std::move(members));
}

std::string format_log_line(const Poco::Message& message, LogFormat format) {
    const std::string time =
        Poco::DateTimeFormatter::format(message.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
    std::string line;
    if (format == LogFormat::Json) {
        line.append("{\"time\":\"").append(time).append("\",\"level\":\"");
        line.append(priority_name(message.getPriority(), true)).append("\",\"logger\":");
        append_json_string(line, message.getSource());
        line.append(",\"message\":");
        append_json_string(line, redact_secrets(message.getText()));
        for (const std::string_view key : kContextKeys) {
            const std::string name(key);
            if (!message.has(name)) continue;
            line.push_back(',');
            append_json_string(line, key);
            line.push_back(':');
            append_json_string(line, redact_secrets(message.get(name)));
        }
        if (message.has(kFieldsKey)) line.append(message.get(kFieldsKey));
        line.push_back('}');
        return line;
    }
    line.append(time).push_back(' ');
    line.append(priority_name(message.getPriority(), false));
    line.append(" ").append(message.getSource()).append(": ");
    line.append(redact_secrets(message.getText()));
    bool first = true;
    for (const std::string_view key : kContextKeys) {
        const std::string name(key);
        if (!message.has(name)) continue;
        line.append(first ? " [" : " ").append(key).push_back('=');
        line.append(redact_secrets(message.get(name)));
        first = false;
    }
    if (!first) line.push_back(']');
    return line;
}

void configure_logging(const std::string& level, const std::string& log_file, LogFormat format,
                       std::vector<std::string> secrets) {
    set_log_secrets(std::move(secrets));
    Poco::AutoPtr<Poco::Channel> sink;
    if (log_file.empty()) {
        // Logs go to stdout; stderr carries only the one-line reason a start failed.
        sink = new Poco::ConsoleChannel(std::cout);  // Poco's intrusive AutoPtr takes ownership
    } else {
        Poco::AutoPtr<Poco::FileChannel> file(new Poco::FileChannel(log_file));
        file->setProperty("rotation", "100 M");
        file->setProperty("archive", "timestamp");
        sink = file;
    }
    Poco::AutoPtr<LineFormatter> formatter(new LineFormatter(format));
    Poco::AutoPtr<Poco::FormattingChannel> channel(new Poco::FormattingChannel(formatter, sink));
    // Every logger, including those made before (the application's own): one format.
    Poco::Logger::setChannel("", channel);
    Poco::Logger::setLevel("", Poco::Logger::parseLevel(level));
}

}  // namespace tradestore::kernel
