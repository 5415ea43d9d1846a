// Reads of the PostgreSQL store: each one statement on a pooled connection, outside any
// explicit transaction, so each sees one committed snapshot.
#include <algorithm>

#include "postgres_store.h"
#include "rows.h"

namespace tradestore::plugins {

using pg::Params;
using pg::Query;

namespace {

// A read never shows a matured trade as active, whether or not expire() has marked it.
Trade as_of(Trade trade, Date business_date) {
    trade.expired = is_expired(trade, business_date);
    return trade;
}

std::vector<Trade> trades_of(const pg::Result& result, Date business_date) {
    std::vector<Trade> trades;
    trades.reserve(static_cast<std::size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) {
        trades.push_back(as_of(pg::read_trade(result, row), business_date));
    }
    return trades;
}

}  // namespace

template <typename Read>
auto PostgresStore::read(Read&& body) {
    for (int attempt = 1;; ++attempt) {
        auto lease = pool_.acquire();  // a failure to connect is not retried here
        try {
            return body(*lease);
        } catch (const pg::Unavailable& error) {
            if (!error.connection_lost() || attempt >= 2) throw;
        }
    }
}

template <typename Read>
auto PostgresStore::client_read(ReadFloor floor, Read&& body) {
    if (replicas_) {
        if (auto replica = replicas_->lease(floor.position)) {
            try {
                auto result = body(*replica->lease);
                replicas_->count_read(true);
                return result;
            } catch (const pg::Unavailable& error) {
                // Lost, or cancelled for a conflict with replay: a read has no effect, so the
                // primary may serve it instead.
                if (error.connection_lost()) replicas_->lost(replica->replica);
            }
        }
        if (!options_.read_fallback) {
            throw StoreUnavailable(
                "no read replica can serve this read now (all down, lagging more than "
                "max_replica_lag, or behind the requested commit) and read_fallback is off");
        }
        replicas_->count_read(false);
    }
    return read(std::forward<Read>(body));
}

std::optional<Trade> PostgresStore::get(const std::string& trade_id, Date business_date,
                                        ReadFloor floor) {
    Params params;
    params.text(trade_id);
    return client_read(floor, [&](pg::Connection& db) -> std::optional<Trade> {
        const pg::Result result = db.run(Query::SelectTrade, params);
        if (result.rows() == 0) return std::nullopt;
        return as_of(pg::read_trade(result, 0), business_date);
    });
}

std::vector<Trade> PostgresStore::list(std::int64_t skip, std::int64_t limit, Date business_date,
                                       ReadFloor floor) {
    if (limit <= 0) return {};
    Params params;
    params.integer(limit).integer(std::max<std::int64_t>(skip, 0));
    return client_read(floor, [&](pg::Connection& db) {
        return trades_of(db.run(Query::ListTrades, params), business_date);
    });
}

std::vector<Trade> PostgresStore::list_by_book(const std::string& book_id, Date business_date,
                                               ReadFloor floor) {
    Params params;
    params.text(book_id);
    return client_read(floor, [&](pg::Connection& db) {
        return trades_of(db.run(Query::ListTradesByBook, params), business_date);
    });
}

Statistics PostgresStore::statistics(Date business_date, ReadFloor floor) {
    Params params;
    params.text(format_date(business_date));
    return client_read(floor, [&](pg::Connection& db) {
        const pg::Result result = db.run(Query::Statistics, params);
        Statistics statistics;
        statistics.total_trades = result.integer(0, 0);
        statistics.expired_trades = result.integer(0, 1);
        statistics.active_trades = statistics.total_trades - statistics.expired_trades;
        return statistics;
    });
}

std::vector<AuditEntry> PostgresStore::audit(const AuditQuery& query, ReadFloor floor) {
    if (query.limit <= 0) return {};
    Params params;
    params.integer(query.limit).integer(std::max<std::int64_t>(query.skip, 0));
    if (query.trade_id) params.text(*query.trade_id);
    return client_read(floor, [&](pg::Connection& db) {
        const pg::Result result =
            db.run(query.trade_id ? Query::AuditByTrade : Query::AuditAll, params);
        std::vector<AuditEntry> entries;
        entries.reserve(static_cast<std::size_t>(result.rows()));
        for (int row = 0; row < result.rows(); ++row) {
            entries.push_back(pg::read_audit(result, row));
        }
        return entries;
    });
}

namespace {

std::vector<HistoryRecord> history_records(const pg::Result& result) {
    std::vector<HistoryRecord> records;
    records.reserve(static_cast<std::size_t>(result.rows()));
    for (int row = 0; row < result.rows(); ++row) records.push_back(pg::read_history(result, row));
    return records;
}

}  // namespace

std::vector<HistoryRecord> PostgresStore::history(const HistoryQuery& query, ReadFloor floor) {
    if (query.limit <= 0) return {};
    Params params;
    params.text(query.trade_id);
    for (const std::optional<Timestamp>& bound : {query.from, query.to}) {
        if (bound) {
            params.integer(to_micros(*bound));
        } else {
            params.null();
        }
    }
    params.integer(query.limit).integer(std::max<std::int64_t>(query.skip, 0));
    return client_read(floor, [&](pg::Connection& db) {
        return history_records(db.run(Query::HistoryByTrade, params));
    });
}

std::vector<HistoryRecord> PostgresStore::trades_at(Timestamp at, std::int64_t skip,
                                                    std::int64_t limit, ReadFloor floor) {
    if (limit <= 0) return {};
    Params params;
    params.integer(to_micros(at)).integer(limit).integer(std::max<std::int64_t>(skip, 0));
    return client_read(floor, [&](pg::Connection& db) {
        return history_records(db.run(Query::TradesAt, params));
    });
}

std::vector<HistoryRecord> PostgresStore::book_at(const std::string& book_id, Timestamp at,
                                                  ReadFloor floor) {
    Params params;
    params.text(book_id).integer(to_micros(at));
    return client_read(
        floor, [&](pg::Connection& db) { return history_records(db.run(Query::BookAt, params)); });
}

std::optional<HistoryRecord> PostgresStore::version_at(const std::string& trade_id, Timestamp at,
                                                       ReadFloor floor) {
    Params params;
    params.text(trade_id).integer(to_micros(at));
    return client_read(floor, [&](pg::Connection& db) -> std::optional<HistoryRecord> {
        const pg::Result result = db.run(Query::HistoryAt, params);
        if (result.rows() == 0) return std::nullopt;
        return pg::read_history(result, 0);
    });
}

std::vector<AuditEntry> PostgresStore::unshipped_audit(std::int64_t limit) {
    if (limit <= 0) return {};
    Params params;
    params.integer(limit);
    return read([&](pg::Connection& db) {
        const pg::Result result = db.run(Query::UnshippedAudit, params);
        std::vector<AuditEntry> entries;
        entries.reserve(static_cast<std::size_t>(result.rows()));
        for (int row = 0; row < result.rows(); ++row) {
            entries.push_back(pg::read_audit(result, row));
        }
        return entries;
    });
}

std::vector<SystemEvent> PostgresStore::unshipped_events(std::int64_t limit) {
    namespace column = pg::event_column;
    if (limit <= 0) return {};
    Params params;
    params.integer(limit);
    return read([&](pg::Connection& db) {
        const pg::Result result = db.run(Query::UnshippedEvents, params);
        std::vector<SystemEvent> events;
        events.reserve(static_cast<std::size_t>(result.rows()));
        for (int row = 0; row < result.rows(); ++row) {
            SystemEvent event;
            event.id = std::string(result.text(row, column::kId));
            event.event_type = std::string(result.text(row, column::kEventType));
            // The column's CHECK admits the three names only.
            event.severity = parse_event_severity(result.text(row, column::kSeverity))
                                 .value_or(EventSeverity::Info);
            event.data_json = std::string(result.text(row, column::kData));
            event.timestamp = from_micros(result.integer(row, column::kTimestampMicros));
            events.push_back(std::move(event));
        }
        return events;
    });
}

std::int64_t PostgresStore::unshipped_audit_count() {
    return read([&](pg::Connection& db) {
        return db.run(Query::UnshippedAuditCount, Params{}).integer(0, 0);
    });
}

std::vector<HistoryChange> PostgresStore::unpublished_changes(std::int64_t limit) {
    if (limit <= 0) return {};
    Params params;
    params.integer(limit);
    return read([&](pg::Connection& db) {
        const pg::Result result = db.run(Query::UnpublishedChanges, params);
        std::vector<HistoryChange> changes;
        changes.reserve(static_cast<std::size_t>(result.rows()));
        for (int row = 0; row < result.rows(); ++row) {
            changes.push_back(
                {result.integer(row, pg::history_column::kId), pg::read_history(result, row)});
        }
        return changes;
    });
}

std::int64_t PostgresStore::unpublished_change_count() {
    return read([&](pg::Connection& db) {
        return db.run(Query::UnpublishedChangeCount, Params{}).integer(0, 0);
    });
}

std::int64_t PostgresStore::audit_count(const std::optional<std::string>& trade_id,
                                        ReadFloor floor) {
    Params params;
    if (trade_id) params.text(*trade_id);
    return client_read(floor, [&](pg::Connection& db) {
        return db.run(trade_id ? Query::AuditCountByTrade : Query::AuditCountAll, params)
            .integer(0, 0);
    });
}

std::optional<std::int64_t> PostgresStore::position(const std::string& source,
                                                    const std::string& stream,
                                                    std::int32_t partition) {
    Params params;
    params.text(source).text(stream).integer(partition);
    return read([&](pg::Connection& db) -> std::optional<std::int64_t> {
        const pg::Result result = db.run(Query::SelectPosition, params);
        if (result.rows() == 0) return std::nullopt;
        return result.integer(0, 0);
    });
}

std::optional<StoredAnswer> PostgresStore::idempotent_answer(const std::string& key) {
    Params params;
    params.text(key);
    return read([&](pg::Connection& db) -> std::optional<StoredAnswer> {
        const pg::Result result = db.run(Query::SelectIdempotencyKey, params);
        if (result.rows() == 0) return std::nullopt;
        StoredAnswer stored;
        stored.request_hash = result.text(0, 0);
        stored.answer.status = static_cast<int>(result.integer(0, 1));
        stored.answer.body = result.text(0, 2);
        stored.expires_at = from_micros(result.integer(0, 3));
        return stored;
    });
}

}  // namespace tradestore::plugins
