// --json: every command prints one JSON document on standard output.
#pragma once

#include <rapidjson/document.h>

#include <string>

namespace tradestore::ctl {

// `document` as one line on standard output.
void print_json(const rapidjson::Value& document);

// A JSON number for a Prometheus value: an integer when it has no fraction.
rapidjson::Value json_number(double value);

// A JSON array written element by element (history and snapshot stream page by page). Nothing
// is printed before the first element, so a command that fails at its first request leaves
// standard output empty; one that fails later leaves an unclosed array, never valid JSON.
class JsonArrayPrinter {
  public:
    void add(const rapidjson::Value& element);
    void finish();  // closes the array ("[]" when empty)

  private:
    bool started_ = false;
};

}  // namespace tradestore::ctl
