#include "dates.h"

#include <stdexcept>
#include <string>

namespace tradestore::plugins::sqlite {

Date stored_date(std::string_view text) {
    if (const std::optional<Date> date = parse_date(text)) return *date;
    throw std::runtime_error("sqlite-store: stored date is not YYYY-MM-DD: '" + std::string(text) +
                             "'");
}

}  // namespace tradestore::plugins::sqlite
