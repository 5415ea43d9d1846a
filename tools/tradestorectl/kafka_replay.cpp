#include "kafka_replay.h"

#include <librdkafka/rdkafka.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <iostream>
#include <map>
#include <stdexcept>
#include <vector>

#include "kafka_config.h"
#include "kafka_producer.h"
#include "rdkafka_handles.h"

namespace tradestore::ctl {
namespace {

using kafka::KafkaHeader;
using kafka::KafkaRecord;
using kafka::OutgoingMessage;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kDeadLetterPrefix = "tradestore.dlq.";
constexpr std::size_t kProduceChunk = 10'000;

// The value of the header `name`; empty when it is missing or null.
std::string header_text(const std::vector<KafkaHeader>& headers, std::string_view name) {
    for (const KafkaHeader& h : headers) {
        if (h.name == name) return h.value.value_or("");
    }
    return {};
}

// The original headers: without the dead letter's own and an earlier copy's marker.
std::vector<KafkaHeader> original_headers(const KafkaRecord& record) {
    std::vector<KafkaHeader> kept;
    for (const KafkaHeader& h : record.headers) {
        if (!h.name.starts_with(kDeadLetterPrefix) && h.name != kHeaderReplayOf) kept.push_back(h);
    }
    return kept;
}

std::string reference(const std::string& topic, const std::string& partition,
                      const std::string& offset) {
    return topic + "/" + partition + "/" + offset;
}

kafka::KafkaConfig client_config(const ReplayRequest& request) {
    kafka::KafkaConfig config;
    config.brokers = request.brokers;
    config.group_id = "tradestorectl-replay";  // assigned, never joined: nothing is committed
    // Keyed copies to another topic land where a Java client would put the key.
    config.properties = {{kafka::KafkaProperty::Scope::Producer, "partitioner", "murmur2_random"}};
    for (kafka::KafkaProperty& property : kafka::parse_properties(request.kafka_properties)) {
        config.properties.push_back(std::move(property));
    }
    return config;
}

struct Consumer {
    rd_kafka_t* rk = nullptr;
    ~Consumer() {
        if (rk != nullptr) {
            rd_kafka_consumer_close(rk);
            rd_kafka_destroy(rk);
        }
    }
};

void check(rd_kafka_resp_err_t error, const std::string& what) {
    if (error) throw std::runtime_error(what + ": " + rd_kafka_err2str(error));
}

// Per partition of `topic`: [first offset to read, end) as the topic is now.
std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> read_ranges(
    rd_kafka_t* rk, const std::string& topic, std::optional<std::int64_t> since_ms, int timeout) {
    const rd_kafka_metadata_t* metadata = nullptr;
    kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(8));
    {
        std::unique_ptr<rd_kafka_topic_t, decltype(&rd_kafka_topic_destroy)> rkt(
            rd_kafka_topic_new(rk, topic.c_str(), nullptr), &rd_kafka_topic_destroy);
        check(rd_kafka_metadata(rk, 0, rkt.get(), &metadata, timeout), "metadata of " + topic);
    }
    std::unique_ptr<const rd_kafka_metadata_t, decltype(&rd_kafka_metadata_destroy)> owned(
        metadata, &rd_kafka_metadata_destroy);
    if (metadata->topic_cnt != 1 || metadata->topics[0].err) {
        throw std::runtime_error("topic " + topic + ": " +
                                 rd_kafka_err2str(metadata->topic_cnt == 1
                                                      ? metadata->topics[0].err
                                                      : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART));
    }
    std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> ranges;
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
        const std::int32_t id = metadata->topics[0].partitions[p].id;
        std::int64_t low = 0;
        std::int64_t high = 0;
        check(rd_kafka_query_watermark_offsets(rk, topic.c_str(), id, &low, &high, timeout),
              "watermarks of " + topic + "/" + std::to_string(id));
        ranges[id] = {low, high};
        if (since_ms)
            rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), id)->offset = *since_ms;
    }
    if (since_ms && list->cnt > 0) {
        // The earliest offset stamped at or after the time; -1 (none): nothing since then.
        check(rd_kafka_offsets_for_times(rk, list.get(), timeout), "offsets for the time");
        for (int i = 0; i < list->cnt; ++i) {
            const rd_kafka_topic_partition_t& elem = list->elems[i];
            check(elem.err, "offset for the time in partition " + std::to_string(elem.partition));
            auto& range = ranges[elem.partition];
            range.first = elem.offset < 0 ? range.second : std::max(range.first, elem.offset);
        }
    }
    std::erase_if(ranges,
                  [](const auto& entry) { return entry.second.first >= entry.second.second; });
    return ranges;
}

void list_copy(std::ostream& listing, const OutgoingMessage& copy) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> json(buffer);
    json.StartObject();
    json.Key("of");
    const std::string of = header_text(copy.headers, kHeaderReplayOf);
    json.String(of.c_str(), static_cast<rapidjson::SizeType>(of.size()));
    json.Key("to");
    json.String(copy.topic.c_str(), static_cast<rapidjson::SizeType>(copy.topic.size()));
    json.Key("partition");
    if (copy.partition) {
        json.Int(*copy.partition);
    } else {
        json.Null();
    }
    json.Key("key");
    if (copy.key) {
        json.String(copy.key->c_str(), static_cast<rapidjson::SizeType>(copy.key->size()));
    } else {
        json.Null();
    }
    json.Key("tombstone");
    json.Bool(!copy.value.has_value());
    json.EndObject();
    listing << buffer.GetString() << "\n";
}

}  // namespace

std::optional<OutgoingMessage> replay_copy(const KafkaRecord& record, const ReplayRequest& request,
                                           ReplaySummary& summary) {
    OutgoingMessage copy{.topic = request.to_topic,
                         .key = record.key,
                         .value = record.value,
                         .headers = original_headers(record),
                         .partition = std::nullopt};
    if (request.mode == ReplayMode::DeadLetters) {
        const std::string origin = header_text(record.headers, kafka::kHeaderTopic);
        const std::string partition = header_text(record.headers, kafka::kHeaderPartition);
        const std::string offset = header_text(record.headers, kafka::kHeaderOffset);
        std::int32_t origin_partition = -1;
        const auto parsed = std::from_chars(partition.data(), partition.data() + partition.size(),
                                            origin_partition);
        if (origin.empty() || offset.empty() || parsed.ec != std::errc() ||
            parsed.ptr != partition.data() + partition.size() || origin_partition < 0) {
            ++summary.skipped_not_letters;
            return std::nullopt;
        }
        if (!request.reason.empty() &&
            header_text(record.headers, kafka::kHeaderReason) != request.reason) {
            ++summary.skipped_reason;
            return std::nullopt;
        }
        if (copy.topic.empty()) copy.topic = origin;
        // Back into its own partition: after the versions of its trade that it came among.
        if (copy.topic == origin) copy.partition = origin_partition;
        copy.headers.push_back(
            {std::string(kHeaderReplayOf), reference(origin, partition, offset)});
        return copy;
    }
    if (!record.value) {
        // A tombstone names no version: sent again, it would delete whatever version is live
        // now, also one that arrived after it. Deletes are not decided again.
        ++summary.skipped_tombstones;
        return std::nullopt;
    }
    if (copy.topic.empty()) copy.topic = record.topic;
    if (copy.topic == record.topic) copy.partition = record.partition;
    copy.headers.push_back(
        {std::string(kHeaderReplayOf),
         reference(record.topic, std::to_string(record.partition), std::to_string(record.offset))});
    return copy;
}

ReplaySummary replay(const ReplayRequest& request, std::ostream& listing) {
    const kafka::KafkaConfig config = client_config(request);
    kafka::PropertyList properties = kafka::consumer_properties(config);
    properties.emplace_back("enable.auto.commit", "false");
    kafka::ConfPtr conf = kafka::make_conf(properties, "consumer");
    char error[512];
    Consumer consumer;
    consumer.rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
    if (consumer.rk == nullptr) throw std::runtime_error(std::string("kafka consumer: ") + error);
    conf.release();  // owned by the consumer now
    rd_kafka_poll_set_consumer(consumer.rk);

    const int timeout = static_cast<int>(request.timeout.count());
    auto ranges = read_ranges(consumer.rk, request.from_topic, request.since_ms, timeout);
    kafka::PartitionListPtr assignment(rd_kafka_topic_partition_list_new(8));
    for (const auto& [partition, range] : ranges) {
        rd_kafka_topic_partition_list_add(assignment.get(), request.from_topic.c_str(), partition)
            ->offset = range.first;
    }
    check(rd_kafka_assign(consumer.rk, assignment.get()), "assign");

    ReplaySummary summary;
    std::vector<OutgoingMessage> copies;
    const auto deadline = Clock::now() + request.timeout;
    while (!ranges.empty()) {
        if (Clock::now() > deadline) {
            throw std::runtime_error("timed out reading " + request.from_topic + " (" +
                                     std::to_string(ranges.size()) + " partition(s) unfinished)");
        }
        kafka::MessagePtr message(rd_kafka_consumer_poll(consumer.rk, 100));
        if (!message) continue;
        if (message->err) {
            if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
            throw std::runtime_error(std::string("reading ") + request.from_topic + ": " +
                                     rd_kafka_message_errstr(message.get()));
        }
        const auto range = ranges.find(message->partition);
        if (range == ranges.end() || message->offset >= range->second.second) continue;
        if (message->offset + 1 >= range->second.second) ranges.erase(range);
        ++summary.read;
        if (std::optional<OutgoingMessage> copy =
                replay_copy(kafka::record_of(*message), request, summary)) {
            copies.push_back(std::move(*copy));
        }
    }

    std::unique_ptr<kafka::Producer> producer;
    if (!request.dry_run && !copies.empty()) {
        producer = std::make_unique<kafka::Producer>(
            config, [](LogLevel level, const std::string& message) {
                if (level >= LogLevel::Warning) std::cerr << "tradestorectl: " << message << "\n";
            });
    }
    for (std::size_t first = 0; first < copies.size(); first += kProduceChunk) {
        const std::vector<OutgoingMessage> chunk(
            copies.begin() + static_cast<std::ptrdiff_t>(first),
            copies.begin() +
                static_cast<std::ptrdiff_t>(std::min(first + kProduceChunk, copies.size())));
        if (producer) {
            const std::string failure = producer->produce_and_wait(chunk, request.timeout);
            if (!failure.empty()) {
                throw std::runtime_error("producing the copies failed after " +
                                         std::to_string(summary.sent) + " were sent: " + failure);
            }
            summary.sent += chunk.size();
        }
        for (const OutgoingMessage& copy : chunk) list_copy(listing, copy);
    }
    return summary;
}

}  // namespace tradestore::ctl
