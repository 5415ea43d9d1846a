#include "kafka_producer.h"

#include <stdexcept>
#include <string_view>

#include "rdkafka_handles.h"

namespace tradestore::kafka {

// Counts the deliveries of one produce_and_wait call.
struct Producer::Tracker {
    std::size_t outstanding = 0;
    std::string first_error;
};

namespace {

LogLevel level_of(int syslog_level) {
    if (syslog_level <= 3) return LogLevel::Error;
    if (syslog_level == 4) return LogLevel::Warning;
    if (syslog_level <= 6) return LogLevel::Info;
    return LogLevel::Debug;
}

HeadersPtr make_headers(const std::vector<KafkaHeader>& headers) {
    if (headers.empty()) return nullptr;
    HeadersPtr list(rd_kafka_headers_new(headers.size()));
    for (const KafkaHeader& header : headers) {
        rd_kafka_header_add(list.get(), header.name.data(),
                            static_cast<ssize_t>(header.name.size()),
                            header.value ? header.value->data() : nullptr,
                            header.value ? static_cast<ssize_t>(header.value->size()) : 0);
    }
    return list;
}

}  // namespace

Producer::Producer(const KafkaConfig& config, KafkaLogger logger)
    : properties_(producer_properties(config)), logger_(std::move(logger)) {
    make_conf(properties_, "producer");  // refuses a bad property now, before start
}

Producer::~Producer() {
    if (rk_ != nullptr) {
        rd_kafka_flush(rk_, 5000);
        rd_kafka_destroy(rk_);
    }
}

void Producer::on_log(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
    auto* self = static_cast<Producer*>(rd_kafka_opaque(rk));
    if (self == nullptr) return;
    // Properties given for both clients that only the consumer knows are expected here.
    const LogLevel mapped =
        std::string_view(facility) == "CONFWARN" ? LogLevel::Debug : level_of(level);
    self->logger_(mapped, std::string("producer ") + facility + ": " + text);
}

void Producer::on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* message, void* opaque) {
    (void)rk;
    auto* self = static_cast<Producer*>(opaque);
    auto* tracker = static_cast<Tracker*>(message->_private);
    if (tracker != nullptr) {
        --tracker->outstanding;
        if (message->err && tracker->first_error.empty()) {
            tracker->first_error = rd_kafka_err2str(message->err);
        }
        return;
    }
    if (message->err) {
        if (self->failed_async_ != nullptr) self->failed_async_->inc();
        self->logger_(LogLevel::Warning, std::string("a result record was not delivered to ") +
                                             rd_kafka_topic_name(message->rkt) + ": " +
                                             rd_kafka_err2str(message->err));
    }
}

void Producer::ensure_client() {
    if (rk_ != nullptr) {
        char reason[256];
        const rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk_, reason, sizeof reason);
        if (!fatal) return;
        // An idempotent producer that hit a fatal error takes no more messages: start afresh.
        logger_(LogLevel::Warning, std::string("producer failed (") + reason + "); recreating it");
        rd_kafka_flush(rk_, 0);
        rd_kafka_destroy(rk_);
        rk_ = nullptr;
    }
    ConfPtr conf = make_conf(properties_, "producer");
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Producer::on_delivery);
    rd_kafka_conf_set_log_cb(conf.get(), &Producer::on_log);
    char error[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
    if (rk_ == nullptr) throw std::runtime_error(std::string("kafka producer: ") + error);
    conf.release();  // owned by rk_ now
}

bool Producer::enqueue(const OutgoingMessage& message, Tracker* tracker, std::string& error) {
    const void* key = message.key ? message.key->data() : nullptr;
    const std::size_t key_size = message.key ? message.key->size() : 0;
    void* value = message.value ? const_cast<char*>(message.value->data()) : nullptr;
    const std::size_t value_size = message.value ? message.value->size() : 0;
    for (;;) {
        HeadersPtr headers = make_headers(message.headers);
        const rd_kafka_resp_err_t result = rd_kafka_producev(
            rk_, RD_KAFKA_V_TOPIC(message.topic.c_str()),
            RD_KAFKA_V_PARTITION(message.partition.value_or(RD_KAFKA_PARTITION_UA)),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
            RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_HEADERS(headers.get()),
            RD_KAFKA_V_OPAQUE(tracker), RD_KAFKA_V_END);
        if (result == RD_KAFKA_RESP_ERR_NO_ERROR) {
            headers.release();  // owned by the message now
            return true;
        }
        if (result == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk_, 50);
            continue;
        }
        error = rd_kafka_err2str(result);
        return false;
    }
}

std::string Producer::produce_and_wait(const std::vector<OutgoingMessage>& messages,
                                       std::chrono::milliseconds timeout) {
    if (messages.empty()) return {};
    ensure_client();
    Tracker tracker;
    std::string error;
    for (const OutgoingMessage& message : messages) {
        if (!enqueue(message, &tracker, error)) break;
        ++tracker.outstanding;
    }
    // Wait for every message enqueued, failed or not, so that none is still in flight when
    // the caller retries.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (tracker.outstanding > 0) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        rd_kafka_flush(rk_, static_cast<int>(std::min<std::int64_t>(left.count(), 100)));
    }
    if (tracker.outstanding > 0) {
        // Still unacknowledged: purge them so their reports (pointing at this tracker) are
        // delivered now, as failures.
        rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        while (tracker.outstanding > 0) rd_kafka_poll(rk_, 100);
        if (error.empty()) error = "timed out waiting for the broker's acknowledgement";
    }
    if (error.empty()) error = tracker.first_error;
    return error;
}

void Producer::produce_async(const OutgoingMessage& message) {
    ensure_client();
    std::string error;
    if (!enqueue(message, nullptr, error)) {
        if (failed_async_ != nullptr) failed_async_->inc();
        logger_(LogLevel::Warning,
                "a result record could not be produced to " + message.topic + ": " + error);
    }
}

void Producer::poll() {
    if (rk_ != nullptr) rd_kafka_poll(rk_, 0);
}

int Producer::flush(std::chrono::milliseconds timeout) {
    if (rk_ == nullptr) return 0;
    rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
    return rd_kafka_outq_len(rk_);
}

}  // namespace tradestore::kafka
