// `tradestorectl import`: reading trades from JSON lines or CSV, one item per line, and
// folding the answers of POST /api/v1/trades/batch into a summary that names every line that
// was rejected or could not be sent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tradestore::ctl {

enum class ImportFormat { JsonLines, Csv };

struct ImportItem {
    std::size_t line = 0;  // 1-based line number in the file
    std::string json;      // one trade object
};

struct FailedLine {
    std::size_t line = 0;
    std::string reason;
};

// The columns a CSV import must have, and those it may have besides (last_updated, which
// the server ignores, so that an export reads back as is).
inline constexpr const char* kRequiredCsvColumns[] = {"trade_id", "version", "counter_party_id",
                                                      "book_id", "maturity_date"};
inline constexpr const char* kOptionalCsvColumns[] = {"created_date", "expired", "last_updated"};

// What is wrong with a CSV header (unknown, repeated and missing columns, each named once),
// or empty when it is usable.
std::string check_csv_header(const std::vector<std::string>& columns);

// Streams items from the input. A UTF-8 byte order mark before the first line is dropped.
// JSON lines: each non-blank line is one JSON object (checked locally, so one broken line
// cannot fail a whole batch). CSV: a header row naming the columns (kRequiredCsvColumns, any
// of kOptionalCsvColumns), then one trade per row; RFC 4180 quoting within a line; empty cells
// are left out. A bad header ends the input at once (header_error() says why), so nothing of
// such a file is sent.
class TradeReader {
  public:
    TradeReader(std::istream& in, ImportFormat format);
    // The next item; lines that cannot be read are added to `failed`. False at the end.
    bool next(ImportItem& item, std::vector<FailedLine>& failed);
    std::uint64_t bytes_read() const { return bytes_; }
    // "line N: ..." when the CSV header is unusable; empty otherwise.
    const std::string& header_error() const { return header_error_; }

  private:
    bool read_line(std::string& line);
    bool read_header(const std::string& line);
    bool csv_item(const std::string& line, ImportItem& item, std::vector<FailedLine>& failed);

    std::istream& in_;
    ImportFormat format_;
    std::size_t line_number_ = 0;
    std::uint64_t bytes_ = 0;
    std::vector<std::string> columns_;  // CSV header
    std::string header_error_;
};

struct ImportSummary {
    std::size_t sent = 0;                                   // items sent to the server
    std::map<std::string, std::size_t> accepted;            // created/updated/replaced -> count
    std::size_t rejected = 0;                               // trades a rule rejected
    std::map<std::string, std::size_t> rejected_by_reason;  // reason code -> count
    std::vector<FailedLine> failed;                         // unreadable, invalid or not sent

    std::size_t accepted_total() const;
};

// Folds the JSON answer of one batch into the summary; `lines[i]` is the file line of item i.
// False (with `error`) when the answer is not the expected list.
bool apply_batch_answer(std::string_view body, const std::vector<std::size_t>& lines,
                        ImportSummary& summary, std::string& error);

// Parses one CSV record (RFC 4180 quoting, within one line); false when a quote is unclosed.
bool split_csv(std::string_view line, std::vector<std::string>& fields);

// The summary as text: accepted by outcome, rejected by reason, and the failed lines (the first
// kFailedLinesListed of them, so a file that is wrong throughout does not flood the terminal).
inline constexpr std::size_t kFailedLinesListed = 100;
std::string format_summary(const ImportSummary& summary);

// The Idempotency-Key of one chunk (POST /trades/batch) of an import: the same input, read
// with the same format and batch size, gives the same chunks and the same keys, so running an
// import again decides nothing twice (the server answers each chunk as it did the first time).
// `content_sha256` is the hex SHA-256 of the whole file, or of the chunk's body when the input
// cannot be read twice (standard input).
std::string import_chunk_key(std::string_view content_sha256, ImportFormat format,
                             std::size_t batch_size, std::size_t chunk);

}  // namespace tradestore::ctl
