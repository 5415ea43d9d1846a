#include "terminal_progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>

namespace tradestore::ctl {

TerminalProgress::TerminalProgress() : enabled_(isatty(STDERR_FILENO) != 0) {}

TerminalProgress::~TerminalProgress() {
    if (enabled_ && width_ > 0) std::cerr << "\n" << std::flush;
}

void TerminalProgress::show(const std::string& line) {
    if (!enabled_) return;
    std::cerr << '\r' << line;
    if (line.size() < width_) std::cerr << std::string(width_ - line.size(), ' ');
    std::cerr << std::flush;
    width_ = std::max(width_, line.size());
}

std::string progress_bar(std::uint64_t done, std::uint64_t total) {
    const auto percent =
        total == 0 ? 100 : static_cast<int>(std::min<std::uint64_t>(100, done * 100 / total));
    constexpr int kWidth = 30;
    const int filled = percent * kWidth / 100;
    std::string percent_text = std::to_string(percent);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(kWidth - filled), '.') + "] " +
           std::string(3 - std::min<std::size_t>(3, percent_text.size()), ' ') + percent_text + "%";
}

}  // namespace tradestore::ctl
