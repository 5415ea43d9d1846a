// How far a long command (import, history, snapshot) has come, on standard error and only when
// that is a terminal: one line rewritten in place, ended when the command ends. A pipe, a file
// or a log gets nothing, so scripts see only the result.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tradestore::ctl {

class TerminalProgress {
  public:
    TerminalProgress();  // shown only when standard error is a terminal
    TerminalProgress(const TerminalProgress&) = delete;
    TerminalProgress& operator=(const TerminalProgress&) = delete;
    ~TerminalProgress();

    void show(const std::string& line);

  private:
    bool enabled_;
    std::size_t width_ = 0;  // of the last line, to blank what a shorter one leaves
};

// "[#######.......]  25%" for `done` of `total` (100% when the total is 0).
std::string progress_bar(std::uint64_t done, std::uint64_t total);

}  // namespace tradestore::ctl
