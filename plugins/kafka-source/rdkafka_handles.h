// Owning handles for librdkafka objects, and building a configuration from a property list.
#pragma once

#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

#include "kafka_config.h"
#include "message_batch.h"

namespace tradestore::kafka {

struct ConfDeleter {
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct MessageDeleter {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct PartitionListDeleter {
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
struct HeadersDeleter {
    void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using MessagePtr = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;

// A configuration with every property set; throws std::invalid_argument naming the first
// property librdkafka refuses (unknown name or bad value). `what` names the client.
ConfPtr make_conf(const PropertyList& properties, const std::string& what);

// A consumed message copied out of librdkafka: key, value and headers (null ones stay null).
KafkaRecord record_of(const rd_kafka_message_t& message);

// "Broker: Unknown topic or partition" and the like, for logs.
std::string error_text(rd_kafka_resp_err_t error);

}  // namespace tradestore::kafka
