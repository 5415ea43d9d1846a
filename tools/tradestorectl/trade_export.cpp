#include "trade_export.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace tradestore::ctl {

void write_json_line(std::ostream& out, const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    out.write(buffer.GetString(), static_cast<std::streamsize>(buffer.GetSize()));
    out << '\n';
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
    std::string quoted = "\"";
    for (const char c : text) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    quoted += '"';
    return quoted;
}

void write_trade_csv_row(std::ostream& out, const rapidjson::Value& trade) {
    static constexpr const char* kColumns[] = {"trade_id", "version",       "counter_party_id",
                                               "book_id",  "maturity_date", "created_date",
                                               "expired",  "last_updated"};
    bool first = true;
    for (const char* column : kColumns) {
        if (!first) out << ',';
        first = false;
        if (!trade.IsObject() || !trade.HasMember(column)) continue;
        const rapidjson::Value& value = trade[column];
        if (value.IsString()) {
            out << csv_field(std::string(value.GetString(), value.GetStringLength()));
        } else if (value.IsInt64()) {
            out << value.GetInt64();
        } else if (value.IsBool()) {
            out << (value.GetBool() ? "true" : "false");
        }
    }
    out << '\n';
}

}  // namespace tradestore::ctl
