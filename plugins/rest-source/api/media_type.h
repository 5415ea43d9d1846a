// Content-Type checks for request bodies.
#pragma once

#include <string_view>

namespace tradestore::rest {

// True for "application/json" in any letter case, with or without parameters such as
// "; charset=utf-8" and surrounding blanks.
bool is_json_media_type(std::string_view content_type);

}  // namespace tradestore::rest
