// kafka_tool: the tests' and benchmark's hands on a real broker, on librdkafka.
//
//   kafka_tool create-topic --brokers B --topic T --partitions N
//   kafka_tool produce      --brokers B --topic T            < JSON lines
//       each line {"key": str|null, "value": str|null, "headers": [[name, str|null], ...],
//                  "partition": n (optional)}; prints {"produced": N}
//   kafka_tool consume      --brokers B --topic T [--timeout-ms M]
//       every message up to the partitions' current ends, as JSON lines {"topic", "partition",
//       "offset", "key", "value", "headers"}
//   kafka_tool committed    --brokers B --topic T --group G
//       the group's committed offsets: {"0": offset or -1, ...}
//   kafka_tool smoke        --brokers B
//       a producer and a consumer with debug=feature; fails on any "Disabling feature" line
//   kafka_tool drain        --brokers B --topic T --group G --count N
//       consumes N messages as a group member and discards them (the benchmark's ceiling);
//       prints {"messages", "seconds", "per_second", "seconds_from_subscribe"}
#include <librdkafka/rdkafka.h>
#include <rapidjson/document.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Args {
    std::map<std::string, std::string> values;

    std::string get(const std::string& name) const {
        auto it = values.find(name);
        if (it == values.end()) throw std::invalid_argument("missing --" + name);
        return it->second;
    }
    std::string get(const std::string& name, const std::string& fallback) const {
        auto it = values.find(name);
        return it == values.end() ? fallback : it->second;
    }
};

Args parse_args(int argc, char** argv, int first) {
    Args args;
    for (int i = first; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (!arg.starts_with("--") || i + 1 >= argc) {
            throw std::invalid_argument("bad argument: " + std::string(arg));
        }
        args.values[std::string(arg.substr(2))] = argv[++i];
    }
    return args;
}

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
                    out += buffer;
                } else {
                    out += static_cast<char>(c);  // UTF-8 (or not) passes through
                }
        }
    }
    out += '"';
}

void append_optional(std::string& out, const void* data, size_t size) {
    if (data == nullptr) {
        out += "null";
    } else {
        append_json_string(out, std::string_view(static_cast<const char*>(data), size));
    }
}

rd_kafka_conf_t* make_conf(const std::vector<std::pair<std::string, std::string>>& properties) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[512];
    for (const auto& [name, value] : properties) {
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(error);
        }
    }
    return conf;
}

rd_kafka_t* make_client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
    char error[512];
    rd_kafka_t* rk = rd_kafka_new(type, conf, error, sizeof error);
    if (rk == nullptr) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(error);
    }
    return rk;
}

// --- create-topic -------------------------------------------------------------------------

int create_topic(const Args& args) {
    rd_kafka_t* rk =
        make_client(RD_KAFKA_PRODUCER, make_conf({{"bootstrap.servers", args.get("brokers")}}));
    const std::string topic = args.get("topic");
    char error[512];
    rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(
        topic.c_str(), std::stoi(args.get("partitions")), 1, error, sizeof error);
    if (new_topic == nullptr) throw std::runtime_error(error);
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &new_topic, 1, nullptr, queue);
    rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 30'000);
    int code = 0;
    if (event == nullptr) {
        std::cerr << "create-topic: no answer in 30 s\n";
        code = 1;
    } else {
        const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
        size_t count = 0;
        const rd_kafka_topic_result_t** topics =
            rd_kafka_CreateTopics_result_topics(result, &count);
        for (size_t i = 0; i < count; ++i) {
            const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(topics[i]);
            if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                std::cerr << "create-topic " << topic << ": " << rd_kafka_err2str(err) << "\n";
                code = 1;
            }
        }
        if (rd_kafka_event_error(event)) {
            std::cerr << "create-topic: " << rd_kafka_event_error_string(event) << "\n";
            code = 1;
        }
        rd_kafka_event_destroy(event);
    }
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(new_topic);
    // Wait until the metadata shows the topic with a leader for every partition.
    for (int attempt = 0; code == 0 && attempt < 100; ++attempt) {
        rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
        const rd_kafka_metadata_t* metadata = nullptr;
        bool ready = false;
        if (rd_kafka_metadata(rk, 0, rkt, &metadata, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ready = metadata->topic_cnt == 1 && metadata->topics[0].err == 0 &&
                    metadata->topics[0].partition_cnt > 0;
            for (int p = 0; ready && p < metadata->topics[0].partition_cnt; ++p) {
                ready = metadata->topics[0].partitions[p].leader >= 0;
            }
            rd_kafka_metadata_destroy(metadata);
        }
        rd_kafka_topic_destroy(rkt);
        if (ready) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    rd_kafka_destroy(rk);
    return code;
}

// --- produce --------------------------------------------------------------------------------

struct DeliveryCount {
    size_t delivered = 0;
    size_t failed = 0;
    std::string first_error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* count = static_cast<DeliveryCount*>(opaque);
    if (message->err) {
        if (count->failed++ == 0) count->first_error = rd_kafka_err2str(message->err);
    } else {
        ++count->delivered;
    }
}

int produce(const Args& args) {
    DeliveryCount count;
    rd_kafka_conf_t* conf = make_conf({{"bootstrap.servers", args.get("brokers")},
                                       {"enable.idempotence", "true"},
                                       {"linger.ms", "20"},
                                       {"batch.num.messages", "10000"},
                                       {"queue.buffering.max.messages", "1000000"}});
    rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery);
    rd_kafka_conf_set_opaque(conf, &count);
    rd_kafka_t* rk = make_client(RD_KAFKA_PRODUCER, conf);
    const std::string topic = args.get("topic");

    std::string line;
    size_t produced = 0;
    while (std::getline(std::cin, line)) {
        if (line.empty()) continue;
        rapidjson::Document doc;
        doc.Parse(line.c_str(), line.size());
        if (doc.HasParseError() || !doc.IsObject()) {
            throw std::runtime_error("produce: not a JSON object: " + line.substr(0, 200));
        }
        const auto text_of = [&](const char* name) -> std::optional<std::string> {
            auto it = doc.FindMember(name);
            if (it == doc.MemberEnd() || it->value.IsNull()) return std::nullopt;
            return std::string(it->value.GetString(), it->value.GetStringLength());
        };
        const std::optional<std::string> key = text_of("key");
        const std::optional<std::string> value = text_of("value");
        int32_t partition = RD_KAFKA_PARTITION_UA;
        if (auto it = doc.FindMember("partition"); it != doc.MemberEnd()) {
            partition = it->value.GetInt();
        }
        rd_kafka_headers_t* headers = nullptr;
        if (auto it = doc.FindMember("headers"); it != doc.MemberEnd() && it->value.IsArray()) {
            headers = rd_kafka_headers_new(it->value.Size());
            for (const auto& pair : it->value.GetArray()) {
                const auto& name = pair[0];
                const auto& header_value = pair[1];
                rd_kafka_header_add(headers, name.GetString(), name.GetStringLength(),
                                    header_value.IsNull() ? nullptr : header_value.GetString(),
                                    header_value.IsNull() ? 0 : header_value.GetStringLength());
            }
        }
        const void* key_data = key ? key->data() : nullptr;
        const size_t key_size = key ? key->size() : 0;
        void* value_data = value ? const_cast<char*>(value->data()) : nullptr;
        const size_t value_size = value ? value->size() : 0;
        for (;;) {
            const rd_kafka_resp_err_t err = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key_data, key_size),
                RD_KAFKA_V_VALUE(value_data, value_size), RD_KAFKA_V_HEADERS(headers),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 50);
                continue;
            }
            if (headers != nullptr) rd_kafka_headers_destroy(headers);
            throw std::runtime_error(std::string("produce: ") + rd_kafka_err2str(err));
        }
        ++produced;
        rd_kafka_poll(rk, 0);
    }
    while (rd_kafka_outq_len(rk) > 0) rd_kafka_flush(rk, 1000);
    rd_kafka_destroy(rk);
    std::cout << "{\"produced\": " << count.delivered << "}\n";
    if (count.failed > 0 || count.delivered != produced) {
        std::cerr << "produce: " << count.failed << " failed: " << count.first_error << "\n";
        return 1;
    }
    return 0;
}

// --- consume --------------------------------------------------------------------------------

int consume(const Args& args) {
    const std::string brokers = args.get("brokers");
    const std::string topic = args.get("topic");
    const int timeout_ms = std::stoi(args.get("timeout-ms", "30000"));
    rd_kafka_t* rk = make_client(RD_KAFKA_CONSUMER, make_conf({{"bootstrap.servers", brokers},
                                                               {"group.id", "kafka-tool-reader"},
                                                               {"enable.auto.commit", "false"},
                                                               {"enable.partition.eof", "false"}}));
    rd_kafka_poll_set_consumer(rk);

    // Read every partition from its beginning up to its current end (high watermark).
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, 10'000);
    if (err) throw std::runtime_error(std::string("metadata: ") + rd_kafka_err2str(err));
    std::map<int32_t, int64_t> ends;
    if (metadata->topic_cnt == 1 && metadata->topics[0].err == 0) {
        for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
            const int32_t id = metadata->topics[0].partitions[p].id;
            int64_t low = 0;
            int64_t high = 0;
            // Right after a broker restart the partition may have no leader yet: ask again.
            for (int attempt = 1;; ++attempt) {
                err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), id, &low, &high, 10'000);
                const bool leaderless = err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                                        err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                                        err == RD_KAFKA_RESP_ERR__TRANSPORT ||
                                        err == RD_KAFKA_RESP_ERR__TIMED_OUT;
                if (!leaderless || attempt == 30) break;
                std::this_thread::sleep_for(std::chrono::seconds(1));
            }
            if (err) throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(err));
            if (high > low) ends[id] = high;
        }
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(rkt);

    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    for (const auto& [partition, end] : ends) {
        rd_kafka_topic_partition_list_add(list, topic.c_str(), partition)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk, list);
    rd_kafka_topic_partition_list_destroy(list);

    const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    std::string out;
    while (!ends.empty() && Clock::now() < deadline) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
        if (message == nullptr) continue;
        if (message->err) {
            std::cerr << "consume: " << rd_kafka_message_errstr(message) << "\n";
            rd_kafka_message_destroy(message);
            continue;
        }
        out.clear();
        out += "{\"topic\":";
        append_json_string(out, rd_kafka_topic_name(message->rkt));
        out += ",\"partition\":" + std::to_string(message->partition);
        out += ",\"offset\":" + std::to_string(message->offset);
        out += ",\"key\":";
        append_optional(out, message->key, message->key_len);
        out += ",\"value\":";
        append_optional(out, message->payload, message->len);
        out += ",\"headers\":[";
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* name = nullptr;
            const void* value = nullptr;
            size_t size = 0;
            for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) == 0;
                 ++i) {
                if (i != 0) out += ',';
                out += '[';
                append_json_string(out, name);
                out += ',';
                append_optional(out, value, size);
                out += ']';
            }
        }
        out += "]}\n";
        std::fwrite(out.data(), 1, out.size(), stdout);
        auto it = ends.find(message->partition);
        if (it != ends.end() && message->offset + 1 >= it->second) ends.erase(it);
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (!ends.empty()) {
        std::cerr << "consume: timed out before reaching the end of " << ends.size()
                  << " partition(s)\n";
        return 1;
    }
    return 0;
}

// --- committed ------------------------------------------------------------------------------

int committed(const Args& args) {
    const std::string topic = args.get("topic");
    rd_kafka_t* rk = make_client(
        RD_KAFKA_CONSUMER,
        make_conf({{"bootstrap.servers", args.get("brokers")}, {"group.id", args.get("group")}}));
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, 10'000);
    if (err) throw std::runtime_error(std::string("metadata: ") + rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(8);
    if (metadata->topic_cnt == 1) {
        for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
            rd_kafka_topic_partition_list_add(list, topic.c_str(),
                                              metadata->topics[0].partitions[p].id);
        }
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(rkt);
    err = rd_kafka_committed(rk, list, 10'000);
    if (err) throw std::runtime_error(std::string("committed: ") + rd_kafka_err2str(err));
    std::string out = "{";
    for (int i = 0; i < list->cnt; ++i) {
        if (i != 0) out += ", ";
        out += "\"" + std::to_string(list->elems[i].partition) +
               "\": " + std::to_string(list->elems[i].offset < 0 ? -1 : list->elems[i].offset);
    }
    out += "}\n";
    std::cout << out;
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(rk);
    return 0;
}

// --- smoke ----------------------------------------------------------------------------------

std::mutex smoke_mutex;
std::vector<std::string> smoke_lines;

void smoke_log(const rd_kafka_t*, int, const char* facility, const char* text) {
    std::lock_guard lock(smoke_mutex);
    smoke_lines.push_back(std::string(facility) + ": " + text);
}

int smoke(const Args& args) {
    const std::string brokers = args.get("brokers");
    const std::string topic = args.get("topic", "tradestore-smoke");
    const auto conf_with_log = [&](std::vector<std::pair<std::string, std::string>> properties) {
        properties.emplace_back("bootstrap.servers", brokers);
        properties.emplace_back("debug", "feature,protocol");
        rd_kafka_conf_t* conf = make_conf(properties);
        rd_kafka_conf_set_log_cb(conf, &smoke_log);
        return conf;
    };
    DeliveryCount count;
    rd_kafka_conf_t* producer_conf = conf_with_log({{"enable.idempotence", "true"}});
    rd_kafka_conf_set_dr_msg_cb(producer_conf, &on_delivery);
    rd_kafka_conf_set_opaque(producer_conf, &count);
    rd_kafka_t* producer = make_client(RD_KAFKA_PRODUCER, producer_conf);
    const std::string value = R"({"smoke": true})";
    rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                      RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    rd_kafka_flush(producer, 30'000);
    rd_kafka_destroy(producer);

    rd_kafka_t* consumer =
        make_client(RD_KAFKA_CONSUMER, conf_with_log({{"group.id", "tradestore-smoke"},
                                                      {"auto.offset.reset", "earliest"},
                                                      {"session.timeout.ms", "6000"}}));
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    bool received = false;
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!received && Clock::now() < deadline) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, 100);
        if (message == nullptr) continue;
        received = message->err == RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);

    int code = 0;
    size_t features = 0;
    std::lock_guard lock(smoke_mutex);
    for (const std::string& line : smoke_lines) {
        if (line.find("Disabling feature") != std::string::npos) {
            std::cerr << "FAIL: " << line << "\n";
            code = 1;
        }
        if (line.find("Enabling feature") != std::string::npos) {
            ++features;
            std::cout << line << "\n";
        }
    }
    if (count.delivered != 1) {
        std::cerr << "FAIL: the smoke message was not delivered: " << count.first_error << "\n";
        code = 1;
    }
    if (!received) {
        std::cerr << "FAIL: the smoke message was not consumed in 30 s\n";
        code = 1;
    }
    if (features == 0) {
        std::cerr << "FAIL: no 'Enabling feature' line was logged (debug=feature)\n";
        code = 1;
    }
    return code;
}

// --- drain ----------------------------------------------------------------------------------

int drain(const Args& args) {
    const std::string topic = args.get("topic");
    const long long want = std::stoll(args.get("count"));
    rd_kafka_t* rk =
        make_client(RD_KAFKA_CONSUMER, make_conf({{"bootstrap.servers", args.get("brokers")},
                                                  {"group.id", args.get("group")},
                                                  {"auto.offset.reset", "earliest"},
                                                  {"enable.auto.offset.store", "false"},
                                                  {"enable.partition.eof", "false"}}));
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, topic.c_str(), RD_KAFKA_PARTITION_UA);
    const auto subscribed = Clock::now();
    rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    long long seen = 0;
    std::optional<Clock::time_point> first;
    const auto deadline = subscribed + std::chrono::minutes(10);
    // Offsets are stored per message, as a careful consumer does, then discarded.
    while (seen < want && Clock::now() < deadline) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(rk, 100);
        if (message == nullptr) continue;
        if (!message->err) {
            if (!first) first = Clock::now();
            ++seen;
            rd_kafka_offset_store(message->rkt, message->partition, message->offset + 1);
        }
        rd_kafka_message_destroy(message);
    }
    const auto end = Clock::now();
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    const double seconds = first ? std::chrono::duration<double>(end - *first).count() : 0.0;
    const double total = std::chrono::duration<double>(end - subscribed).count();
    std::printf(
        "{\"messages\": %lld, \"seconds\": %.3f, \"per_second\": %.0f, "
        "\"seconds_from_subscribe\": %.3f}\n",
        seen, seconds, seconds > 0 ? static_cast<double>(seen) / seconds : 0.0, total);
    return seen == want ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: kafka_tool create-topic|produce|consume|committed|smoke|drain "
                     "--brokers HOST:PORT ...\n";
        return 2;
    }
    const std::string command = argv[1];
    try {
        const Args args = parse_args(argc, argv, 2);
        if (command == "create-topic") return create_topic(args);
        if (command == "produce") return produce(args);
        if (command == "consume") return consume(args);
        if (command == "committed") return committed(args);
        if (command == "smoke") return smoke(args);
        if (command == "drain") return drain(args);
        std::cerr << "kafka_tool: unknown command " << command << "\n";
        return 2;
    } catch (const std::exception& error) {
        std::cerr << "kafka_tool " << command << ": " << error.what() << "\n";
        return 1;
    }
}
