// The change outbox of the SQLite store: apply() and expire() put the ids of the version
// entries they write into change_outbox, in their transaction, when change_feed is set; the
// publisher reads the oldest with their entries and deletes their rows once published.
#include <algorithm>

#include "rows.h"
#include "sqlite_store.h"

namespace tradestore::plugins {

using sqlite::Query;

std::vector<HistoryChange> SqliteStore::unpublished_changes(std::int64_t limit) {
    std::vector<HistoryChange> changes;
    if (limit <= 0) return changes;
    changes.reserve(static_cast<std::size_t>(std::min<std::int64_t>(limit, 10'000)));
    auto reader = readers_.acquire();
    auto select = reader->use(Query::UnpublishedChanges);
    select->bind_int(1, limit);
    while (select->step()) {
        changes.push_back(
            {select->column_int(sqlite::history_column::kId), sqlite::read_history(*select)});
    }
    return changes;
}

std::int64_t SqliteStore::unpublished_change_count() {
    auto reader = readers_.acquire();
    auto count = reader->use(Query::UnpublishedChangeCount);
    return count->step() ? count->column_int(0) : 0;
}

void SqliteStore::mark_changes_published(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    std::lock_guard lock(writer_mutex_);
    sqlite::Connection& db = writer();
    sqlite::Transaction transaction(db);
    for (const std::int64_t id : ids) {
        auto mark = db.use(Query::MarkChangePublished);
        mark->bind_int(1, id);
        mark->run();
    }
    transaction.commit();
}

}  // namespace tradestore::plugins
