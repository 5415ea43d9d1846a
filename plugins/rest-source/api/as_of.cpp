#include "as_of.h"

#include <string>

#include "rfc3339.h"

namespace tradestore::rest {

std::optional<AsOf> parse_as_of(const QueryParams& params, const BusinessClock& clock,
                                std::vector<FieldError>& errors) {
    const std::string* text = params.find("as_of");
    if (text == nullptr) return std::nullopt;
    if (const std::optional<Date> day = parse_date(*text)) {
        return AsOf{clock.end_of_business_day(*day) - std::chrono::microseconds{1}, *day};
    }
    if (const std::optional<Timestamp> instant = parse_rfc3339(*text)) {
        return AsOf{*instant, clock.business_date_at(*instant)};
    }
    errors.push_back({{"query", "as_of"}, std::string(kBadAsOf), "datetime_parsing"});
    return std::nullopt;
}

}  // namespace tradestore::rest
