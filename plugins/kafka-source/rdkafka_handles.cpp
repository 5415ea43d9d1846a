#include "rdkafka_handles.h"

#include <stdexcept>

namespace tradestore::kafka {

namespace {

bool may_be_secret(std::string_view name) {
    for (std::string_view word : {"password", "secret", "key", "jaas", "token", "credential"}) {
        if (name.find(word) != std::string_view::npos) return true;
    }
    return false;
}

}  // namespace

ConfPtr make_conf(const PropertyList& properties, const std::string& what) {
    ConfPtr conf(rd_kafka_conf_new());
    char error[512];
    for (const auto& [name, value] : properties) {
        if (rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), error, sizeof error) !=
            RD_KAFKA_CONF_OK) {
            // librdkafka's message quotes the value, which must not reach a log when it may
            // be a secret.
            const bool unknown = std::string_view(error).starts_with("No such configuration");
            std::string detail = unknown ? "unknown librdkafka property" : error;
            if (!unknown && may_be_secret(name)) detail = "invalid value";
            throw std::invalid_argument("kafka_properties: " + what + " property " + name + ": " +
                                        detail);
        }
    }
    return conf;
}

KafkaRecord record_of(const rd_kafka_message_t& message) {
    KafkaRecord record;
    record.topic = rd_kafka_topic_name(message.rkt);
    record.partition = message.partition;
    record.offset = message.offset;
    if (message.key != nullptr) {
        record.key.emplace(static_cast<const char*>(message.key), message.key_len);
    }
    if (message.payload != nullptr) {
        record.value.emplace(static_cast<const char*>(message.payload), message.len);
    }
    rd_kafka_headers_t* headers = nullptr;  // owned by the message
    if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                           RD_KAFKA_RESP_ERR_NO_ERROR;
             ++i) {
            KafkaHeader& header = record.headers.emplace_back();
            header.name = name;
            if (value != nullptr) header.value.emplace(static_cast<const char*>(value), size);
        }
    }
    return record;
}

std::string error_text(rd_kafka_resp_err_t error) {
    return rd_kafka_err2str(error);
}

}  // namespace tradestore::kafka
