// Writing trades and history items, as the API answers them, to files: JSON lines (one
// compact object per line) or CSV with the columns of the import (plus expired and
// last_updated), quoted as RFC 4180 asks.
#pragma once

#include <rapidjson/document.h>

#include <ostream>
#include <string>

namespace tradestore::ctl {

enum class ExportFormat { JsonLines, Csv };

// The CSV header of an exported trade.
inline constexpr const char* kTradeCsvHeader =
    "trade_id,version,counter_party_id,book_id,maturity_date,created_date,expired,last_updated";

// `value` as one compact JSON line.
void write_json_line(std::ostream& out, const rapidjson::Value& value);
// A trade object of the API as one CSV row (fields missing or null are empty).
void write_trade_csv_row(std::ostream& out, const rapidjson::Value& trade);
// One CSV field: quoted when it holds a comma, a quote, a CR or an LF (quotes doubled).
std::string csv_field(const std::string& text);

}  // namespace tradestore::ctl
