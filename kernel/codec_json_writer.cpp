#include "codec_json_writer.h"

namespace tradestore::kernel::codec {

void append_optional_int(std::string& out, const std::optional<std::int64_t>& value) {
    if (value) {
        append_json_int(out, *value);
    } else {
        out.append("null");
    }
}

void append_quoted_date(std::string& out, Date date) {
    out.push_back('"');
    append_date(out, date);
    out.push_back('"');
}

void append_quoted_timestamp(std::string& out, Timestamp timestamp) {
    out.push_back('"');
    append_timestamp(out, timestamp);
    out.push_back('"');
}

}  // namespace tradestore::kernel::codec
