// The MongoDB side of the shipper: one client (used by one thread at a time: the kernel's
// scheduler thread), the two collections, and the few operations the shipper needs. Every
// write is idempotent: documents carry ids derived from what they record, and a duplicate key
// on a resend counts as done.
#pragma once

#include <tradestore/events.h>
#include <tradestore/store.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "audit_documents.h"
#include "mongo_driver.h"

namespace tradestore::plugins::mongo {

class MongoSink {
  public:
    // Parses the URI: throws std::invalid_argument naming the problem (never the URI, which
    // may hold a password). Timeouts the URI leaves unset get short defaults (connect 2 s,
    // server selection 3 s, socket 10 s), so that a run against an unreachable server ends
    // soon and never holds up the scheduler or a shutdown for long. Writes wait for a majority
    // and the journal unless the URI lowers it (write_concern()). Connects on first use.
    MongoSink(const std::string& uri, std::string database);
    ~MongoSink();
    MongoSink(const MongoSink&) = delete;
    MongoSink& operator=(const MongoSink&) = delete;

    const std::string& database() const noexcept { return database_; }
    // The servers the URI names, "host:port,...", for logs.
    std::string servers() const;
    // The write concern every write uses, e.g. "w=majority, journal=true, wtimeoutMS=10000":
    // that default unless the URI sets w or journal (w=0 is refused).
    std::string write_concern() const;

    // Closes the connections (they reopen on next use).
    void disconnect() noexcept;
    // A round trip (the ping command); throws MongoError when the server cannot be reached.
    void ping();
    // Creates the indexes on audit_logs (trade_id, timestamp) and trade_events (timestamp;
    // event_type with timestamp). Idempotent on the server; done once per sink.
    void ensure_indexes();

    struct InsertResult {
        std::int64_t inserted = 0;
        std::int64_t already_there = 0;  // duplicate _id: shipped before (a resend)
    };
    // Inserts the entries' documents in one unordered insert_many: a duplicate key does not
    // stop the rest. Throws MongoError on any other failure; then some documents may have
    // been written, which the resend makes good.
    InsertResult insert_audit(std::span<const AuditEntry> entries);
    InsertResult insert_events(std::span<const Event> events);
    // Writes the event whole, replacing an earlier version with the same _id.
    void upsert_event(const Event& event);
    // How many EXPIRE entries of the run audit_logs holds.
    std::int64_t count_expired(const ExpiryRun& run);
    // Deletes the documents of `collection` whose timestamp is before the cut-off; returns
    // how many.
    std::int64_t delete_older_than(const char* collection, Timestamp cutoff);
    // trade_events, newest first (timestamp, then _id), filtered and paged as asked; `data`
    // as relaxed extended JSON (mongo_sink_read.cpp).
    std::vector<SystemEvent> find_events(const EventQuery& query);

  private:
    mongoc_collection_t* collection(const char* name);
    mongoc_client_t* client();
    InsertResult insert_documents(const char* collection_name, std::span<const BsonPtr> documents,
                                  const char* operation);
    struct IndexSpec {
        const char* name;
        const char* fields[2];  // ascending; nullptr ends the list
    };
    std::vector<std::string> index_names(const char* collection_name);
    void create_indexes(const char* collection_name, std::span<const IndexSpec> wanted);

    UriPtr uri_;
    std::string database_;
    ClientPtr client_;
    CollectionPtr audit_logs_;
    CollectionPtr trade_events_;
    bool indexes_ready_ = false;
};

}  // namespace tradestore::plugins::mongo
