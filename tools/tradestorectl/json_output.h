// --json: every command prints one JSON document on standard output.
#pragma once

#include <rapidjson/document.h>

#include <string>

namespace tradestore::ctl {

// `document` as one line on standard output.
void print_json(const rapidjson::Value& document);

// A JSON number for a Prometheus value: an integer when it has no fraction.
rapidjson::Value json_number(double value);

// A JSON array written element by element (history and snapshot stream page by page).
class JsonArrayPrinter {
  public:
    JsonArrayPrinter();
    JsonArrayPrinter(const JsonArrayPrinter&) = delete;
    JsonArrayPrinter& operator=(const JsonArrayPrinter&) = delete;
    ~JsonArrayPrinter();  // closes the array
    void add(const rapidjson::Value& element);

  private:
    bool first_ = true;
};

}  // namespace tradestore::ctl
