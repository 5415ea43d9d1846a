// The kafka-source: consumes JSON trades from Kafka into the kernel's ingest path with an
// exactly-once effect.
//
// One thread does everything that touches the consumer: it polls (rd_kafka_consumer_poll,
// never consume_batch, which loses messages around pause/resume in librdkafka 2.0.2), builds
// a batch of up to batch_size messages or batch_wait, sends its dead letters and waits for
// their delivery, submits the batch and waits for the store's commit, and only then stores
// the next offsets (enable.auto.offset.store=false; auto-commit sends them). The batch carries
// the last offset of each partition, which the store records in the same transaction.
//
// On assignment the thread reads those recorded positions and starts each partition right
// after its own (the store, not the committed offset, is the truth); messages at or below the
// position are skipped, so a redelivery after a crash creates no spurious LOWER_VERSION and no
// second audit entry. On revoke it first tries to finish the batch in hand, then commits
// synchronously; messages it could not finish are left to the next owner.
//
// A trade the store refused alone (reason STORE_REFUSED: the kernel isolated it and recorded
// an audit entry instead) is sent to the dead-letter topic after the commit, like a message
// that is not a valid trade.
//
// When the store is unavailable (or the dead-letter topic cannot be written) the thread
// pauses every assigned partition, keeps polling (rebalances are served, the group membership
// stays alive) and retries the same batch with backoff; it resumes once the batch is
// committed. Messages that wait longer than stall_timeout with nothing committed make the
// source stalled: unhealthy in /health, tradestore_kafka_stalled = 1 and one KAFKA_STALLED
// event per stall, until a batch commits. stop() finishes the batch in hand (retrying up to
// shutdown_timeout), stores and commits its offsets, unsubscribes and serves the final revoke
// (which commits and unassigns) until nothing is assigned, and only then closes the consumer:
// librdkafka 2.0.2 aborts when the close meets a rebalance still in progress.
#pragma once

#include <librdkafka/rdkafka.h>
#include <tradestore/source.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka_config.h"
#include "kafka_producer.h"
#include "message_batch.h"

namespace tradestore::kafka {

class KafkaSource final : public Source {
  public:
    // Validates the librdkafka properties of both clients; throws std::invalid_argument.
    explicit KafkaSource(KafkaConfig config);
    ~KafkaSource() override;

    void start(Host& host) override;
    void stop() override;
    std::string health_name() const override { return "kafka"; }
    // Up while the consumer reaches a broker, its thread polls and it is not stalled.
    bool healthy() const override;
    std::map<std::string, std::string> health_details() const override;

    // Sum of the assigned partitions' consumer lag from the last statistics, -1 if unknown.
    std::int64_t consumer_lag() const { return lag_.load(); }

  private:
    enum class Delivery { Committed, Retry, ShuttingDown };

    void run();
    void fill_batch();
    void accept(const rd_kafka_message_t& message);
    void on_consumer_error(const rd_kafka_message_t& message);
    Delivery deliver();
    void deliver_with_retries();
    void wait_polling(std::chrono::milliseconds duration);
    bool read_positions(const std::set<TopicPartition>& partitions);
    void store_offsets(const std::map<TopicPartition, std::int64_t>& next_offsets);
    void commit_sync();
    void pause_assigned(bool pause);
    void close_consumer();
    // Unsubscribes and serves the rebalance callbacks until nothing is assigned (bounded).
    void leave_group();
    bool assignment_empty() const;

    void on_rebalance(rd_kafka_resp_err_t error, rd_kafka_topic_partition_list_t* partitions);
    void on_assign(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
    void on_revoke(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
    // Answers a revoke (or a failed rebalance): the group waits for this call.
    void unassign(rd_kafka_topic_partition_list_t* partitions, bool cooperative);
    void on_stats(std::string_view json);
    void log(LogLevel level, const std::string& message) const;
    void log_throttled(LogLevel level, const std::string& message);
    // A KAFKA_ERROR event through the host: at most one per error code a minute (a dead
    // broker repeats its error at every reconnect); the next one counts the repeats between.
    void emit_error_event(rd_kafka_resp_err_t code, std::string_view reason, bool fatal);
    void mark_progress();
    // Messages have waited longer than stall_timeout with nothing committed.
    bool stalled() const;
    // On the poll thread: notes whether messages wait, and reports a stall once as it starts.
    void check_stall();
    // Produces refused trades to the dead-letter topic after their batch committed, retrying
    // (consumption paused) until it succeeds or the source stops.
    void dead_letter_after_commit(const std::vector<OutgoingMessage>& letters);

    static void rebalance_cb(rd_kafka_t* rk, rd_kafka_resp_err_t error,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    static void error_cb(rd_kafka_t* rk, int error, const char* reason, void* opaque);
    static int stats_cb(rd_kafka_t* rk, char* json, size_t json_len, void* opaque);
    static void log_cb(const rd_kafka_t* rk, int level, const char* facility, const char* text);
    static void commit_cb(rd_kafka_t* rk, rd_kafka_resp_err_t error,
                          rd_kafka_topic_partition_list_t* offsets, void* opaque);

    // Metrics (GET /metrics), handles taken at start.
    struct MetricHandles {
        Gauge* lag = nullptr;
        Gauge* up = nullptr;
        Gauge* paused = nullptr;
        Counter* applied = nullptr;
        Counter* dead_lettered = nullptr;
        Counter* skipped = nullptr;
        Counter* retries = nullptr;
        Gauge* stalled = nullptr;
    };
    void take_metric_handles(Metrics& metrics);

    KafkaConfig config_;
    bool auto_commit_ = true;
    MetricHandles metrics_;
    Host* host_ = nullptr;
    std::unique_ptr<Producer> producer_;
    rd_kafka_t* consumer_ = nullptr;
    std::thread thread_;

    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> running_{false};
    std::atomic<bool> brokers_up_{false};
    std::atomic<std::int64_t> last_progress_ms_{0};
    std::atomic<std::int64_t> lag_{-1};
    // Since when messages wait with nothing committed (steady clock, ms); 0 while none wait.
    std::atomic<std::int64_t> waiting_since_ms_{0};

    // Owned by the poll thread.
    std::set<TopicPartition> assigned_;
    AppliedPositions positions_;                  // last offset the store applied, per partition
    std::set<TopicPartition> unknown_positions_;  // not read yet: the store was down
    std::vector<KafkaRecord> pending_;            // the batch in hand
    std::chrono::steady_clock::time_point first_pending_at_{};
    std::set<std::pair<TopicPartition, std::int64_t>> dead_lettered_;  // already in the DLQ
    std::chrono::steady_clock::time_point last_rebalance_at_{};
    bool paused_ = false;  // every assigned partition is paused while a batch is retried
    bool retrying_after_store_failure_ = false;
    bool stall_reported_ = false;
    std::optional<std::chrono::steady_clock::time_point> shutdown_deadline_;
    std::string last_throttled_;
    std::chrono::steady_clock::time_point last_throttled_at_{};

    struct ErrorEventState {
        std::chrono::steady_clock::time_point last_emitted{};
        std::int64_t repeats = 0;  // since last_emitted
    };
    std::mutex error_events_mutex_;  // error_cb may run outside the poll thread (close)
    std::map<int, ErrorEventState> error_events_;
};

}  // namespace tradestore::kafka
