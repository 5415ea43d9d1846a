#include "trade_import.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <tradestore/json_text.h>

#include <algorithm>
#include <sstream>

namespace tradestore::ctl {

namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

bool is_integer(std::string_view text) {
    if (!text.empty() && text.front() == '-') text.remove_prefix(1);
    return !text.empty() && text.size() <= 19 &&
           std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string trim(std::string text) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && blank(text.back())) text.pop_back();
    std::size_t start = 0;
    while (start < text.size() && blank(text[start])) ++start;
    return text.substr(start);
}

std::string describe_errors(const rapidjson::Value& errors) {
    std::string text;
    if (!errors.IsArray()) return "invalid";
    for (const auto& error : errors.GetArray()) {
        if (!text.empty()) text += "; ";
        if (error.HasMember("loc") && error["loc"].IsArray()) {
            const auto& loc = error["loc"].GetArray();
            // loc is ["body", index, field]: name the field only.
            if (loc.Size() > 0 && loc[loc.Size() - 1].IsString()) {
                text += loc[loc.Size() - 1].GetString();
                text += ": ";
            }
        }
        if (error.HasMember("msg") && error["msg"].IsString()) text += error["msg"].GetString();
    }
    return text;
}

}  // namespace

TradeReader::TradeReader(std::istream& in, ImportFormat format) : in_(in), format_(format) {}

bool TradeReader::read_line(std::string& line) {
    if (!std::getline(in_, line)) return false;
    bytes_ += line.size() + 1;
    ++line_number_;
    if (line_number_ == 1 && line.starts_with(kUtf8ByteOrderMark)) {
        line.erase(0, kUtf8ByteOrderMark.size());
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

std::string check_csv_header(const std::vector<std::string>& columns) {
    const auto known = [](const std::string& column) {
        return std::find(std::begin(kRequiredCsvColumns), std::end(kRequiredCsvColumns), column) !=
                   std::end(kRequiredCsvColumns) ||
               std::find(std::begin(kOptionalCsvColumns), std::end(kOptionalCsvColumns), column) !=
                   std::end(kOptionalCsvColumns);
    };
    std::vector<std::string> unknown;
    std::vector<std::string> repeated;
    std::vector<std::string> seen;
    for (const std::string& column : columns) {
        const bool again = std::find(seen.begin(), seen.end(), column) != seen.end();
        if (!again) seen.push_back(column);
        if (!known(column)) {
            if (!again) unknown.push_back(column.empty() ? "(empty)" : column);
        } else if (again && std::find(repeated.begin(), repeated.end(), column) == repeated.end()) {
            repeated.push_back(column);
        }
    }
    std::vector<std::string> missing;
    for (const char* required : kRequiredCsvColumns) {
        if (std::find(seen.begin(), seen.end(), required) == seen.end()) {
            missing.emplace_back(required);
        }
    }
    const auto list = [](const std::vector<std::string>& names) {
        std::string text;
        for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
        return text;
    };
    std::string error;
    const auto add = [&](const char* what, const std::vector<std::string>& names) {
        if (names.empty()) return;
        error += (error.empty() ? "" : "; ") + std::string(what) + ": " + list(names);
    };
    add("unknown column(s)", unknown);
    add("repeated column(s)", repeated);
    add("missing column(s)", missing);
    if (error.empty()) return error;
    std::vector<std::string> expected(std::begin(kRequiredCsvColumns),
                                      std::end(kRequiredCsvColumns));
    std::vector<std::string> optional(std::begin(kOptionalCsvColumns),
                                      std::end(kOptionalCsvColumns));
    return error + " (the header needs " + list(expected) + "; it may have " + list(optional) + ")";
}

bool TradeReader::read_header(const std::string& line) {
    if (!split_csv(line, columns_)) {
        header_error_ = "line " + std::to_string(line_number_) + ": header: unclosed quote";
        return false;
    }
    for (std::string& column : columns_) column = trim(column);
    const std::string problem = check_csv_header(columns_);
    if (!problem.empty()) {
        header_error_ = "line " + std::to_string(line_number_) + ": " + problem;
        return false;
    }
    return true;
}

bool TradeReader::next(ImportItem& item, std::vector<FailedLine>& failed) {
    std::string line;
    while (read_line(line)) {
        if (trim(line).empty()) continue;
        if (format_ == ImportFormat::Csv) {
            if (!header_error_.empty()) return false;
            if (columns_.empty()) {
                if (!read_header(line)) return false;
                continue;
            }
            if (csv_item(line, item, failed)) return true;
            continue;
        }
        rapidjson::Document document;
        document.Parse(line.c_str(), line.size());
        if (document.HasParseError()) {
            failed.push_back(
                {line_number_, std::string("malformed JSON at offset ") +
                                   std::to_string(document.GetErrorOffset()) + ": " +
                                   rapidjson::GetParseError_En(document.GetParseError())});
            continue;
        }
        if (!document.IsObject()) {
            failed.push_back({line_number_, "not a JSON object"});
            continue;
        }
        item.line = line_number_;
        item.json = line;
        return true;
    }
    return false;
}

bool split_csv(std::string_view line, std::vector<std::string>& fields) {
    fields.clear();
    std::string field;
    bool quoted = false;
    bool was_quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                field.push_back('"');
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field.push_back(c);
            }
        } else if (c == '"' && trim(field).empty()) {
            field.clear();
            quoted = true;
            was_quoted = true;
        } else if (was_quoted && c != ',') {
            continue;  // blanks after a closing quote
        } else if (c == ',') {
            fields.push_back(was_quoted ? field : trim(field));
            field.clear();
            was_quoted = false;
        } else {
            field.push_back(c);
        }
    }
    if (quoted) return false;
    fields.push_back(was_quoted ? field : trim(field));
    return true;
}

bool TradeReader::csv_item(const std::string& line, ImportItem& item,
                           std::vector<FailedLine>& failed) {
    std::vector<std::string> fields;
    if (!split_csv(line, fields)) {
        failed.push_back({line_number_, "unclosed quote"});
        return false;
    }
    if (fields.size() != columns_.size()) {
        failed.push_back({line_number_, "expected " + std::to_string(columns_.size()) +
                                            " columns, got " + std::to_string(fields.size())});
        return false;
    }
    std::string json = "{";
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].empty() || columns_[i].empty()) continue;
        if (json.size() > 1) json.push_back(',');
        append_json_string(json, columns_[i]);
        json.push_back(':');
        if (columns_[i] == "version" && is_integer(fields[i])) {
            json += fields[i];
        } else if (columns_[i] == "expired" && (fields[i] == "true" || fields[i] == "false")) {
            json += fields[i];
        } else {
            append_json_string(json, fields[i]);
        }
    }
    json.push_back('}');
    item.line = line_number_;
    item.json = std::move(json);
    return true;
}

std::size_t ImportSummary::accepted_total() const {
    std::size_t total = 0;
    for (const auto& [outcome, count] : accepted) total += count;
    return total;
}

bool apply_batch_answer(std::string_view body, const std::vector<std::size_t>& lines,
                        ImportSummary& summary, std::string& error) {
    rapidjson::Document document;
    document.Parse(body.data(), body.size());
    if (document.HasParseError() || !document.IsArray() || document.Size() != lines.size()) {
        error = "unexpected answer to the batch";
        return false;
    }
    for (rapidjson::SizeType i = 0; i < document.Size(); ++i) {
        const rapidjson::Value& entry = document[i];
        const std::size_t line = lines[i];
        if (!entry.IsObject() || !entry.HasMember("outcome") || !entry["outcome"].IsString()) {
            summary.failed.push_back({line, "unexpected answer entry"});
            continue;
        }
        const std::string outcome = entry["outcome"].GetString();
        if (outcome == "rejected") {
            ++summary.rejected;
            if (entry.HasMember("reasons") && entry["reasons"].IsArray()) {
                for (const auto& reason : entry["reasons"].GetArray()) {
                    if (reason.IsString()) ++summary.rejected_by_reason[reason.GetString()];
                }
            }
        } else if (outcome == "invalid") {
            summary.failed.push_back(
                {line, entry.HasMember("errors") ? describe_errors(entry["errors"]) : "invalid"});
        } else {
            ++summary.accepted[outcome];
        }
    }
    return true;
}

std::string format_summary(const ImportSummary& summary) {
    std::ostringstream out;
    out << "accepted: " << summary.accepted_total();
    if (!summary.accepted.empty()) {
        out << " (";
        bool first = true;
        for (const auto& [outcome, count] : summary.accepted) {
            out << (first ? "" : ", ") << outcome << " " << count;
            first = false;
        }
        out << ")";
    }
    out << "\nrejected: " << summary.rejected << "\n";
    for (const auto& [reason, count] : summary.rejected_by_reason) {
        out << "  " << reason << ": " << count << "\n";
    }
    std::vector<FailedLine> failed = summary.failed;
    std::stable_sort(failed.begin(), failed.end(),
                     [](const FailedLine& a, const FailedLine& b) { return a.line < b.line; });
    out << "failed: " << failed.size() << "\n";
    const std::size_t listed = std::min(failed.size(), kFailedLinesListed);
    for (std::size_t i = 0; i < listed; ++i) {
        out << "  line " << failed[i].line << ": " << failed[i].reason << "\n";
    }
    if (failed.size() > listed) {
        out << "  ... and " << failed.size() - listed << " more (--json lists every line)\n";
    }
    return out.str();
}

std::string import_chunk_key(std::string_view content_sha256, ImportFormat format,
                             std::size_t batch_size, std::size_t chunk) {
    std::string key = "tradestorectl-import:";
    key += format == ImportFormat::Csv ? "csv:" : "jsonl:";
    key += std::to_string(batch_size);
    key += ':';
    key += content_sha256;
    key += ':';
    key += std::to_string(chunk);
    return key;
}

}  // namespace tradestore::ctl
