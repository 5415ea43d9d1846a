#include "codec_json_writer.h"

#include <array>
#include <charconv>
#include <chrono>

namespace tradestore::kernel::codec {
namespace {

void put_digits(char* at, unsigned value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

}  // namespace

void append_int(std::string& out, std::int64_t value) {
    char buffer[24];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, static_cast<std::size_t>(result.ptr - buffer));
}

void append_optional_int(std::string& out, const std::optional<std::int64_t>& value) {
    if (value) {
        append_int(out, *value);
    } else {
        out.append("null");
    }
}

void append_quoted_date(std::string& out, Date date) {
    const std::chrono::year_month_day ymd{date};
    const int year = static_cast<int>(ymd.year());
    char text[12];
    text[0] = '"';
    put_digits(text + 1, static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
    text[5] = '-';
    put_digits(text + 6, static_cast<unsigned>(ymd.month()), 2);
    text[8] = '-';
    put_digits(text + 9, static_cast<unsigned>(ymd.day()), 2);
    text[11] = '"';
    out.append(text, sizeof text);
}

void append_quoted_timestamp(std::string& out, Timestamp timestamp) {
    using namespace std::chrono;
    const sys_days day = floor<days>(timestamp);
    const std::int64_t micros = (timestamp - day).count();  // 0 .. 86'399'999'999
    const std::chrono::year_month_day ymd{day};
    const int year = static_cast<int>(ymd.year());
    const auto seconds_of_day = static_cast<unsigned>(micros / 1'000'000);
    char text[29];
    text[0] = '"';
    put_digits(text + 1, static_cast<unsigned>(year < 0 ? 0 : year > 9999 ? 9999 : year), 4);
    text[5] = '-';
    put_digits(text + 6, static_cast<unsigned>(ymd.month()), 2);
    text[8] = '-';
    put_digits(text + 9, static_cast<unsigned>(ymd.day()), 2);
    text[11] = 'T';
    put_digits(text + 12, seconds_of_day / 3600, 2);
    text[14] = ':';
    put_digits(text + 15, seconds_of_day / 60 % 60, 2);
    text[17] = ':';
    put_digits(text + 18, seconds_of_day % 60, 2);
    text[20] = '.';
    put_digits(text + 21, static_cast<unsigned>(micros % 1'000'000), 6);
    text[27] = 'Z';
    text[28] = '"';
    out.append(text, sizeof text);
}

}  // namespace tradestore::kernel::codec
