#include "http_framing.h"

#include <optional>

namespace tradestore::rest {
namespace {

// A chunk-size line is a hex number and an optional extension; nobody needs more than this.
constexpr std::size_t kMaxChunkLine = 1024;
constexpr std::size_t kMaxLengthDigits = 18;  // fits in 64 bits whatever the digits

using State = Framing::State;

char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != b[i]) return false;
    }
    return true;
}

std::string_view without_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Whitespace between the request line's words and around a field value: space, tab, VT and FF
// (a CR alone never gets this far).
bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

std::size_t skip_blanks(std::string_view s, std::size_t pos) {
    while (pos < s.size() && is_blank(s[pos])) ++pos;
    return pos;
}

// The word at `pos` of `line` (which starts at `offset` in the request) up to whitespace;
// `pos` moves past it.
Span next_word(std::string_view line, std::size_t offset, std::size_t& pos) {
    pos = skip_blanks(line, pos);
    const std::size_t begin = pos;
    while (pos < line.size() && !is_blank(line[pos])) ++pos;
    return {static_cast<std::uint32_t>(offset + begin), static_cast<std::uint32_t>(pos - begin)};
}

// Reads the request line into `framing`; false when it is short of three words or a word is
// over its limit.
bool read_request_line(std::string_view line, std::size_t offset, Framing& framing) {
    std::size_t pos = 0;
    framing.method = next_word(line, offset, pos);
    framing.target = next_word(line, offset, pos);
    framing.version = next_word(line, offset, pos);
    return framing.method.size > 0 && framing.method.size <= kMaxMethodBytes &&
           framing.target.size > 0 && framing.target.size <= kMaxTargetBytes &&
           framing.version.size > 0 && framing.version.size <= kMaxVersionBytes;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::size_t> decimal(std::string_view text) {
    if (text.empty() || text.size() > kMaxLengthDigits) return std::nullopt;
    std::size_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    return value;
}

struct ChunkWalk {
    State state = State::Incomplete;
    int status = 0;
    std::size_t consumed = 0;  // Complete: bytes of the chunked body, trailers included
    std::size_t resume = 0;    // Incomplete: where the chunk-size line not yet complete starts
    std::size_t total = 0;     // Incomplete: data bytes before `resume`
};

ChunkWalk refused(int status) {
    return {State::Refused, status, 0, 0, 0};
}

// Walks the chunks of `body` from `pos` (the start of a chunk-size line, with `total` data
// bytes before it); appends their data to `out` when given.
ChunkWalk walk_chunks(std::string_view body, const FramingLimits& limits, std::string* out,
                      std::size_t pos = 0, std::size_t total = 0) {
    while (true) {
        const ChunkWalk incomplete{State::Incomplete, 0, 0, pos, total};
        const std::size_t eol = body.find('\n', pos);
        if (eol == std::string_view::npos) {
            return body.size() - pos > kMaxChunkLine ? refused(400) : incomplete;
        }
        if (eol - pos > kMaxChunkLine) return refused(400);
        const std::string_view line = without_cr(body.substr(pos, eol - pos));
        std::size_t size = 0;
        std::size_t digits = 0;
        for (; digits < line.size() && hex_digit(line[digits]) >= 0; ++digits) {
            size = size * 16 + static_cast<std::size_t>(hex_digit(line[digits]));
            if (size > limits.max_body_bytes) return refused(413);
        }
        if (digits == 0) return refused(400);
        const std::string_view rest = trimmed(line.substr(digits));
        if (!rest.empty() && rest.front() != ';') return refused(400);
        pos = eol + 1;

        if (size == 0) {  // last chunk: trailer fields up to an empty line
            const std::size_t trailers = pos;
            while (true) {
                const std::size_t end = body.find('\n', pos);
                if (end == std::string_view::npos) {
                    return body.size() - trailers > limits.max_header_bytes ? refused(431)
                                                                            : incomplete;
                }
                if (end + 1 - trailers > limits.max_header_bytes) return refused(431);
                const bool empty = without_cr(body.substr(pos, end - pos)).empty();
                pos = end + 1;
                if (empty) return {State::Complete, 0, pos, 0, 0};
            }
        }
        if (size > limits.max_body_bytes - total) return refused(413);
        total += size;
        if (body.size() - pos < size + 1) return incomplete;
        if (out != nullptr) out->append(body.substr(pos, size));
        pos += size;
        if (body[pos] == '\n') {
            pos += 1;
        } else if (body[pos] == '\r') {
            if (pos + 1 >= body.size()) return incomplete;
            if (body[pos + 1] != '\n') return refused(400);
            pos += 2;
        } else {
            return refused(400);
        }
    }
}

Framing refuse(int status) {
    Framing framing;
    framing.state = State::Refused;
    framing.status = status;
    return framing;
}

// A CR anywhere but before an LF, or a NUL, in the request line or a field: no line may end in
// a CR alone, and no value may hide a NUL from code that reads C strings.
bool has_stray_control(std::string_view head) {
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (head[i] == '\0') return true;
        if (head[i] == '\r' && (i + 1 == head.size() || head[i + 1] != '\n')) return true;
    }
    return false;
}

// The header's end: the byte after the empty line that closes it, or npos.
std::size_t header_end(std::string_view bytes, std::size_t start) {
    std::size_t line = start;
    while (true) {
        const std::size_t eol = bytes.find('\n', line);
        if (eol == std::string_view::npos) return std::string_view::npos;
        if (line != start && without_cr(bytes.substr(line, eol - line)).empty()) return eol + 1;
        line = eol + 1;
    }
}

}  // namespace

Framing frame_request(std::string_view bytes, const FramingLimits& limits,
                      const Framing* previous) {
    // Empty lines before a request line are ignored (RFC 9112, 2.2).
    std::size_t start = 0;
    while (start < bytes.size() && (bytes[start] == '\r' || bytes[start] == '\n')) ++start;
    const std::size_t end = header_end(bytes, start);
    if (end == std::string_view::npos) {
        return bytes.size() > limits.max_header_bytes ? refuse(431) : Framing{};
    }
    if (end > limits.max_header_bytes) return refuse(431);
    if (has_stray_control(bytes.substr(start, end - start))) return refuse(400);

    Framing framing;
    framing.header_bytes = end;
    std::optional<std::size_t> length;
    bool expect_continue = false;
    bool host = false;
    bool authorization = false;
    const std::size_t request_line_end = bytes.find('\n', start);
    // A request line or field over a limit, or too many fields, is answered 400 once the
    // refusals above that say more have been ruled out.
    bool malformed = !read_request_line(without_cr(bytes.substr(start, request_line_end - start)),
                                        start, framing);
    std::size_t line = request_line_end + 1;
    while (line < end) {
        const std::size_t eol = bytes.find('\n', line);
        const std::string_view field = without_cr(bytes.substr(line, eol - line));
        const std::size_t field_begin = line;
        line = eol + 1;
        if (field.empty()) break;
        // Folded lines (obsolete) and fields without a name could hide a second length.
        if (field.front() == ' ' || field.front() == '\t') return refuse(400);
        const std::size_t colon = field.find(':');
        if (colon == std::string_view::npos || colon == 0) return refuse(400);
        const std::string_view name = field.substr(0, colon);
        if (name.find_first_of(" \t") != std::string_view::npos) return refuse(400);
        // The value as handlers see it: from its first byte that is not whitespace, which is
        // where its limit counts from, to its last.
        const std::size_t value_begin = skip_blanks(field, colon + 1);
        std::size_t value_end = field.size();
        if (field.size() - value_begin > kMaxFieldValueBytes) malformed = true;
        while (value_end > value_begin && is_blank(field[value_end - 1])) --value_end;
        if (name.size() > kMaxFieldNameBytes || framing.field_count == kMaxFields) {
            malformed = true;
        } else if (!malformed) {
            framing.fields[framing.field_count++] = {
                static_cast<std::uint32_t>(field_begin),
                static_cast<std::uint32_t>(field_begin + value_begin),
                static_cast<std::uint16_t>(name.size()),
                static_cast<std::uint16_t>(value_end - value_begin)};
        }
        const std::string_view value = trimmed(field.substr(colon + 1));
        if (iequals(name, "content-length")) {
            const std::optional<std::size_t> parsed = decimal(value);
            if (!parsed || (length && *length != *parsed)) return refuse(400);
            length = parsed;
        } else if (iequals(name, "transfer-encoding")) {
            if (framing.chunked || !iequals(value, "chunked")) return refuse(501);
            framing.chunked = true;
        } else if (iequals(name, "host") || iequals(name, "authorization")) {
            // Singletons: two of them leave it open which one counts (RFC 9112, 3.2, for Host).
            bool& seen = iequals(name, "host") ? host : authorization;
            if (seen) return refuse(400);
            seen = true;
        } else if (iequals(name, "expect")) {
            if (!iequals(value, "100-continue")) return refuse(417);
            expect_continue = true;
        }
    }
    // Both framings at once is how requests are smuggled past proxies: refuse.
    if (framing.chunked && length) return refuse(400);
    // RFC 9112, 3.2: an HTTP/1.1 request without Host must be answered 400.
    if (!host && framing.version.in(bytes) == "HTTP/1.1") return refuse(400);

    const std::string_view body = bytes.substr(end);
    if (framing.chunked) {
        // The header read the same as last time (same end, chunked): its chunks up to the
        // resume point were checked then.
        const bool resume = previous != nullptr && previous->state == State::Incomplete &&
                            previous->chunked && previous->header_bytes == end &&
                            previous->chunk_resume <= body.size();
        const ChunkWalk walk = resume ? walk_chunks(body, limits, nullptr, previous->chunk_resume,
                                                    previous->chunk_total)
                                      : walk_chunks(body, limits, nullptr);
        if (walk.state == State::Refused) return refuse(walk.status);
        if (malformed) return refuse(400);
        framing.state = walk.state;
        framing.request_bytes = walk.state == State::Complete ? end + walk.consumed : 0;
        framing.chunk_resume = walk.resume;
        framing.chunk_total = walk.total;
    } else {
        const std::size_t size = length.value_or(0);
        if (size > limits.max_body_bytes) return refuse(413);
        if (malformed) return refuse(400);
        if (body.size() >= size) {
            framing.state = State::Complete;
            framing.request_bytes = end + size;
        }
    }
    framing.expect_continue = expect_continue && framing.state == State::Incomplete;
    return framing;
}

bool decode_chunked(std::string_view body, std::string& out) {
    out.clear();
    FramingLimits unlimited;
    unlimited.max_body_bytes = body.size();
    unlimited.max_header_bytes = body.size();
    return walk_chunks(body, unlimited, &out).state == State::Complete;
}

}  // namespace tradestore::rest
