// book-allowlist: an example custom rule, built out of tree against the installed SDK.
// It rejects every trade whose book is not in the allow-list taken from its config section:
//
//   [plugin.book-allowlist]
//   books = B1, B2
#include <tradestore/tradestore.h>

#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace tradestore;

constexpr std::string_view kBookNotAllowed = "BOOK_NOT_ALLOWED";

class BookAllowlist final : public Rule {
  public:
    explicit BookAllowlist(const std::vector<std::string>& books)
        : books_(books.begin(), books.end()) {}

    void check(const RuleInput& input, std::vector<Rejection>& rejections) const override {
        // A delete is always allowed: a trade booked before its book left the list must
        // still be removable.
        if (input.deleting) return;
        const Trade& trade = input.incoming;
        if (books_.contains(trade.book_id)) return;
        rejections.push_back(
            {std::string(kBookNotAllowed),
             "Trade " + trade.trade_id + ": book " + trade.book_id + " is not in the allow-list"});
    }

  private:
    std::set<std::string, std::less<>> books_;
};

// The kernel has already checked that `books` is set; an empty list would reject every
// trade, which is a config mistake, so the daemon refuses to start with it.
std::unique_ptr<Rule> create(const Settings& settings) {
    const std::vector<std::string> books = settings.get_list("books");
    if (books.empty()) {
        throw std::invalid_argument("book-allowlist: setting 'books' lists no book");
    }
    return std::make_unique<BookAllowlist>(books);
}

PluginDescriptor describe() {
    PluginDescriptor descriptor;
    descriptor.name = "book-allowlist";  // must match the file name, book-allowlist.so
    descriptor.version = "1.0.0";
    descriptor.description =
        "Rejects trades whose book is not in the allow-list (BOOK_NOT_ALLOWED)";
    descriptor.kinds = kRulePlugin;
    descriptor.settings = {
        {"books", SettingType::List, "", true, "The books that may take trades, e.g. B1, B2"},
    };
    descriptor.create_rule = &create;
    return descriptor;
}

}  // namespace

TRADESTORE_PLUGIN(describe)
