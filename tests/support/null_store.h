// A Store that holds nothing and answers every call empty, for tests whose subject only needs
// one or two store calls: derive and override those. It offers no capability
// (tradestore/store_capabilities.h): derive from one as well to offer it.
#pragma once

#include <tradestore/store.h>

namespace tradestore::test_support {

class NullStore : public Store {
  public:
    void open() override {}
    void close() override {}
    std::vector<ItemResult> apply(const Batch&, std::span<const Rule* const>, Date) override {
        return {};
    }
    std::optional<Trade> get(const std::string&, Date) override { return std::nullopt; }
    std::vector<Trade> list(std::int64_t, std::int64_t, Date) override { return {}; }
    std::vector<Trade> list_by_book(const std::string&, Date) override { return {}; }
    bool remove(const std::string&, const std::string&, const std::string&) override {
        return false;
    }
    Statistics statistics(Date) override { return {}; }
    std::int64_t expire(Date, const std::string&) override { return 0; }
    std::vector<AuditEntry> audit(const AuditQuery&) override { return {}; }
    std::int64_t audit_count(const std::optional<std::string>&) override { return 0; }
    std::optional<std::int64_t> position(const std::string&, const std::string&,
                                         std::int32_t) override {
        return std::nullopt;
    }
    bool healthy() override { return true; }
};

}  // namespace tradestore::test_support
