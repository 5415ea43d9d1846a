#include "json_output.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <iostream>

namespace tradestore::ctl {
namespace {

void write(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    value.Accept(writer);
    std::cout.write(buffer.GetString(), static_cast<std::streamsize>(buffer.GetSize()));
}

}  // namespace

void print_json(const rapidjson::Value& document) {
    write(document);
    std::cout << '\n';
}

rapidjson::Value json_number(double value) {
    if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9e15) {
        return rapidjson::Value(static_cast<std::int64_t>(value));
    }
    return std::isfinite(value) ? rapidjson::Value(value) : rapidjson::Value();
}

void JsonArrayPrinter::add(const rapidjson::Value& element) {
    std::cout << (started_ ? ',' : '[');
    started_ = true;
    write(element);
}

void JsonArrayPrinter::finish() {
    if (!started_) std::cout << '[';
    std::cout << "]\n";
}

}  // namespace tradestore::ctl
