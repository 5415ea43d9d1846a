// The kafka-source: consumes JSON trades from Kafka into the kernel's ingest path with an
// exactly-once effect.
//
// One thread does everything that touches the consumer: it polls (rd_kafka_consumer_poll,
// never consume_batch, which loses messages around pause/resume in librdkafka 2.0.2) and sorts
// the messages into one lane per partition (partition_lane.h). A lane hands the kernel a batch
// of up to batch_size messages (or what arrived within batch_wait) and keeps filling the next
// one while the store commits it: one batch per partition in flight, so a partition's batches
// commit in offset order, while the batches of different partitions commit in parallel on the
// kernel's writers (ingest_writers). The kernel's answer comes back through a queue that wakes
// the poll; only then does the lane store the batch's next offsets
// (enable.auto.offset.store=false; auto-commit sends them), and hand in its next batch. Each
// batch carries the last offset of its partition, which the store records in the same
// transaction. Memory is bounded: past max_buffered_bytes of messages waiting or in flight,
// every partition is paused until an eighth of it is committed.
//
// On assignment the thread reads those recorded positions and starts each partition right
// after its own (the store, not the committed offset, is the truth); messages at or below the
// position are skipped, so a redelivery after a crash creates no spurious LOWER_VERSION and no
// second audit entry. On revoke it waits for the revoked partitions' batches in flight, tries
// to apply what they have waiting, then commits synchronously; messages it could not finish
// are left to the next owner (and a batch it stopped waiting for is fenced by the store's
// replay check).
//
// A trade the store refused alone (reason STORE_REFUSED: the kernel isolated it and recorded
// an audit entry instead) is sent to the dead-letter topic after the commit, like a message
// that is not a valid trade.
//
// When the store is unavailable (or the dead-letter topic cannot be written) the thread
// pauses every assigned partition, keeps polling (rebalances are served, the group membership
// stays alive) and retries the failed batches with backoff; it resumes once one is
// committed. Messages that wait longer than stall_timeout with nothing of their partition
// committed make the source stalled: unhealthy in /health, tradestore_kafka_stalled = 1 and
// one KAFKA_STALLED event per stall, until a batch commits. stop() pauses everything, hands in
// what waits and waits for the batches in flight (retrying up to shutdown_timeout), stores
// and commits their offsets, unsubscribes and serves the final revoke (which commits and
// unassigns) until nothing is assigned, and only then closes the consumer: librdkafka 2.0.2
// aborts when the close meets a rebalance still in progress.
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

#include "completion_queue.h"
#include "kafka_config.h"
#include "kafka_producer.h"
#include "message_batch.h"
#include "partition_lane.h"

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
    void run();
    // Polls for up to `timeout`, then takes what else is ready, up to a bounded number.
    void poll_messages(std::chrono::milliseconds timeout);
    std::chrono::milliseconds poll_timeout() const;
    void accept(const rd_kafka_message_t& message);
    void on_consumer_error(const rd_kafka_message_t& message);
    void wait_polling(std::chrono::milliseconds duration);
    bool read_positions(const std::set<TopicPartition>& partitions);
    void store_offsets(const std::map<TopicPartition, std::int64_t>& next_offsets);
    void commit_sync();
    void close_consumer();
    // Unsubscribes and serves the rebalance callbacks until nothing is assigned (bounded).
    void leave_group();
    bool assignment_empty() const;
    // Stopping: hands in what waits, waits for the batches in flight, retrying until
    // shutdown_timeout; what is left is delivered again to the next consumer.
    void drain_for_shutdown();

    // --- lanes (lane_delivery.cpp) ---
    bool lane_due(PartitionLane& lane, std::chrono::steady_clock::time_point now);
    // Whether the lane's waiting messages make a batch now: full, waited batch_wait, or stopping.
    bool next_batch_ready(const PartitionLane& lane,
                          std::chrono::steady_clock::time_point now) const;
    void submit_due_lanes();
    // Plans the lane's next batch, writes its dead letters and hands it to the kernel.
    void submit_lane(const TopicPartition& partition);
    // Takes the lane's next batch from its waiting messages and decodes it.
    PreparedBatch take_batch(PartitionLane& lane);
    // Puts a prepared batch's messages back in front of the waiting ones.
    void unprepare(PartitionLane& lane);
    void handle_completions();
    void complete_lane(BatchCompletion completion);
    // The lane's batch failed (store, dead-letter topic): its messages wait again, in front,
    // every partition pauses, and the lane retries after a backoff.
    void fail_lane(const TopicPartition& partition, std::vector<KafkaRecord> records,
                   const std::string& why);
    // Waits (serving completions, not the consumer) until none of these partitions has a
    // batch in flight, or `limit` has passed.
    void wait_in_flight(const std::set<TopicPartition>& partitions,
                        std::chrono::milliseconds limit);
    // Pauses or resumes partitions to what the state asks: everything while a batch waits for
    // a retry, while stopping, or while too much is buffered.
    void update_pauses();
    void set_paused(const std::set<TopicPartition>& partitions, bool pause);
    void drop_lane(const TopicPartition& partition);
    std::size_t messages_held() const;
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
    // (consumption paused) until it succeeds or the source stops. It polls: a rebalance may
    // run inside it.
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
        Counter* results_lost = nullptr;
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
    std::map<TopicPartition, PartitionLane> lanes_;
    std::size_t buffered_bytes_ = 0;  // of every lane's messages, waiting or in flight
    bool over_budget_ = false;        // past max_buffered_bytes, until an eighth of it is committed
    std::uint64_t last_batch_id_ = 0;
    std::chrono::milliseconds backoff_;
    bool store_failing_ = false;                  // a batch waits for a retry
    bool dead_letters_failing_ = false;           // refused trades wait for the dead-letter topic
    std::set<TopicPartition> paused_;             // as librdkafka has them
    rd_kafka_queue_t* consumer_queue_ = nullptr;  // yielded to wake a poll
    std::shared_ptr<CompletionQueue> completions_ = std::make_shared<CompletionQueue>();
    std::chrono::steady_clock::time_point last_rebalance_at_{};
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
