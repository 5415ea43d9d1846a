// Read replicas: a store that serves client reads (StoreReader) from replicas of the server
// it writes to offers this through Store::read_replicas(). Writes, and every read of the
// ingest path, stay on the server it writes to (the primary).
//
// A replica lags behind the primary. The store takes a replica whose lag exceeds its bound,
// or that cannot be reached, out of rotation, and puts it back by itself once it has caught
// up. A client that must see its own write names the write's commit position
// (ItemResult::commit_position) and reads through reader_after(): served by a replica that has
// replayed that position, or by the primary.
#pragma once

#include <charconv>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tradestore/metrics.h"
#include "tradestore/store.h"

namespace tradestore {

struct ReplicaState {
    std::string name;          // "host:port", never credentials
    bool reachable = false;    // its last check answered, as a server in recovery
    bool in_rotation = false;  // serves reads now: reachable and within the lag bound
    // Replay lag as last measured; nullopt before the first answer.
    std::optional<double> lag_seconds;
};

class ReadReplicas {
  public:
    virtual ~ReadReplicas() = default;

    // Each configured replica, in configuration order.
    virtual std::vector<ReplicaState> replica_states() const = 0;
    // Reads that see every commit up to `commit_position` (an ItemResult::commit_position).
    // Valid while the store is open.
    virtual std::unique_ptr<StoreReader> reader_after(std::uint64_t commit_position) = 0;
    // Called once after open(): the store takes its metric handles (lag and rotation per
    // replica, reads per server) and keeps them up to date.
    virtual void record_metrics(Metrics& metrics) = 0;
};

// A commit position in PostgreSQL's notation for a WAL position: the high and low 32 bits in
// upper-case hex, "16/B374D848". The form clients see (the X-Min-LSN header).
inline std::string format_commit_position(std::uint64_t position) {
    char text[2 * 8 + 2];
    const auto half = [](char* out, char* end, std::uint32_t value) {
        return std::to_chars(out, end, value, 16).ptr;
    };
    char* end = half(text, text + sizeof text, static_cast<std::uint32_t>(position >> 32));
    *end++ = '/';
    end = half(end, text + sizeof text, static_cast<std::uint32_t>(position));
    std::string formatted(text, end);
    for (char& c : formatted) c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
    return formatted;
}

// The position `text` names (either case of hex digits, 1 to 8 on each side of the slash),
// or nullopt when it is not one.
inline std::optional<std::uint64_t> parse_commit_position(std::string_view text) {
    const std::size_t slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    const auto half = [](std::string_view digits) -> std::optional<std::uint32_t> {
        if (digits.empty() || digits.size() > 8) return std::nullopt;
        std::uint32_t value = 0;
        const auto [end, error] =
            std::from_chars(digits.data(), digits.data() + digits.size(), value, 16);
        if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
        return value;
    };
    const auto high = half(text.substr(0, slash));
    const auto low = half(text.substr(slash + 1));
    if (!high || !low) return std::nullopt;
    return (std::uint64_t{*high} << 32) | *low;
}

}  // namespace tradestore
