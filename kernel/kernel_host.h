// The kernel's side of the plugin contract: what sources and jobs reach through Host.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <tradestore/host.h>
#include <tradestore/source.h>

namespace tradestore::kernel {

class KernelHost final : public Host {
public:
    KernelHost(std::shared_ptr<Store> store, std::string store_service_name,
               const BusinessClock& clock, const TradeCodec& codec, IngestSink& ingest);

    void add_source(std::shared_ptr<Source> source) { sources_.push_back(std::move(source)); }

    IngestSink& ingest() override { return ingest_; }
    Store& store() override { return *store_; }
    const BusinessClock& clock() const override { return clock_; }
    const TradeCodec& codec() const override { return codec_; }
    void log(LogLevel level, std::string_view component, std::string_view message) override;
    HealthReport health() override;
    std::string_view version() const override;
    std::int64_t expire_now(const std::string& source) override;

private:
    std::shared_ptr<Store> store_;
    std::string store_service_name_;
    const BusinessClock& clock_;
    const TradeCodec& codec_;
    IngestSink& ingest_;
    std::vector<std::shared_ptr<Source>> sources_;
};

}  // namespace tradestore::kernel
