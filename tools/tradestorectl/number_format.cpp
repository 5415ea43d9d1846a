#include "number_format.h"

#include <cmath>
#include <cstdio>

namespace tradestore::ctl {

std::string format_number(double value) {
    if (!std::isfinite(value)) return std::isnan(value) ? "NaN" : (value > 0 ? "+Inf" : "-Inf");
    char text[64];
    const double rounded = std::round(value * 100) / 100;
    if (rounded == std::trunc(rounded) && std::fabs(rounded) < 1e18) {
        std::snprintf(text, sizeof text, "%.0f", rounded);
    } else {
        std::snprintf(text, sizeof text, "%.2f", rounded);
    }
    std::string out = text;
    if (out.find('.') != std::string::npos) {
        while (out.back() == '0') out.pop_back();
        if (out.back() == '.') out.pop_back();
    }
    if (out == "-0") out = "0";
    return out;
}

}  // namespace tradestore::ctl
