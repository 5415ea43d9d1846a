#include "media_type.h"

namespace tradestore::rest {

bool is_json_media_type(std::string_view content_type) {
    constexpr std::string_view kJson = "application/json";
    content_type = content_type.substr(0, content_type.find(';'));
    while (!content_type.empty() && (content_type.front() == ' ' || content_type.front() == '\t')) {
        content_type.remove_prefix(1);
    }
    while (!content_type.empty() && (content_type.back() == ' ' || content_type.back() == '\t')) {
        content_type.remove_suffix(1);
    }
    if (content_type.size() != kJson.size()) return false;
    for (std::size_t i = 0; i < kJson.size(); ++i) {
        char c = content_type[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != kJson[i]) return false;
    }
    return true;
}

}  // namespace tradestore::rest
