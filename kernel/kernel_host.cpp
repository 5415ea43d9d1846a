#include "kernel_host.h"

#include <Poco/Logger.h>

namespace tradestore::kernel {

KernelHost::KernelHost(std::shared_ptr<Store> store, std::string store_service_name,
                       const BusinessClock& clock, const TradeCodec& codec, IngestSink& ingest)
    : store_(std::move(store)),
      store_service_name_(std::move(store_service_name)),
      clock_(clock),
      codec_(codec),
      ingest_(ingest) {}

void KernelHost::log(LogLevel level, std::string_view component, std::string_view message) {
    Poco::Logger& logger = Poco::Logger::get(std::string(component));
    const std::string text(message);
    switch (level) {
        case LogLevel::Debug: logger.debug(text); break;
        case LogLevel::Info: logger.information(text); break;
        case LogLevel::Warning: logger.warning(text); break;
        case LogLevel::Error: logger.error(text); break;
    }
}

HealthReport KernelHost::health() {
    HealthReport report;
    bool store_up = false;
    try {
        store_up = store_->healthy();
    } catch (const std::exception&) {
        store_up = false;
    }
    report.services[store_service_name_] = store_up ? "up" : "down";
    report.healthy = store_up;
    for (const auto& source : sources_) {
        const bool up = source->healthy();
        report.services[source->health_name()] = up ? "up" : "down";
        report.healthy = report.healthy && up;
    }
    return report;
}

std::string_view KernelHost::version() const { return TRADESTORE_VERSION; }

std::int64_t KernelHost::expire_now(const std::string& source) {
    const std::int64_t marked = store_->expire(clock_.today(), source);
    log(LogLevel::Info, "expiry",
        "expiry run (" + source + ") marked " + std::to_string(marked) + " trade(s) expired");
    return marked;
}

}  // namespace tradestore::kernel
