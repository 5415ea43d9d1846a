// Shipping throughput of the mongo-audit shipper: fills a SQLite store's outbox with N audit
// entries (new trades, one entry each), then ships them all to MongoDB and reports entries/s.
// Run through bench/mongo_ship_bench.sh, which starts a FerretDB for it.
//
//   mongo_ship_bench URI [ENTRIES [BATCH_SIZE]]      (defaults 100000, 1000)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "audit_shipper.h"
#include "temp_sqlite_store.h"

int main(int argc, char** argv) {
    using namespace tradestore;
    if (argc < 2) {
        std::fprintf(stderr, "usage: mongo_ship_bench URI [ENTRIES [BATCH_SIZE]]\n");
        return 2;
    }
    const std::string uri = argv[1];
    const int entries = argc > 2 ? std::atoi(argv[2]) : 100'000;
    const int batch_size = argc > 3 ? std::atoi(argv[3]) : 1000;

    mongo_test::TempSqliteStore store;
    for (int first = 0; first < entries; first += 1000) {
        store.create_trades(first, std::min(1000, entries - first));
    }
    const std::string database = "tradestore_bench_" + std::to_string(::getpid());
    plugins::mongo::MongoSink sink(uri, database);
    sink.ping();
    sink.ensure_indexes();

    plugins::mongo::AuditShipper shipper(sink, batch_size);
    plugins::mongo::ShipReport report;
    const auto started = std::chrono::steady_clock::now();
    shipper.ship(store.store(), started + std::chrono::hours(1), report);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    std::printf(
        "shipped %lld audit entries in %lld batches of up to %d in %.2f s: %.0f entries/s\n",
        static_cast<long long>(report.shipped), static_cast<long long>(report.batches), batch_size,
        seconds, static_cast<double>(report.shipped) / seconds);

    // Where the time goes: the same work again, phase by phase, into a second database.
    mongo_test::TempSqliteStore again;
    for (int first = 0; first < entries; first += 1000) {
        again.create_trades(first, std::min(1000, entries - first));
    }
    plugins::mongo::MongoSink phases_sink(uri, database + "_phases");
    phases_sink.ensure_indexes();
    double read_s = 0, insert_s = 0, mark_s = 0;
    for (;;) {
        auto t0 = std::chrono::steady_clock::now();
        const auto batch = again.store().unshipped_audit(batch_size);
        auto t1 = std::chrono::steady_clock::now();
        if (batch.empty()) break;
        phases_sink.insert_audit(batch);
        auto t2 = std::chrono::steady_clock::now();
        std::vector<std::int64_t> ids;
        for (const auto& entry : batch) ids.push_back(entry.id);
        again.store().mark_audit_shipped(ids);
        auto t3 = std::chrono::steady_clock::now();
        read_s += std::chrono::duration<double>(t1 - t0).count();
        insert_s += std::chrono::duration<double>(t2 - t1).count();
        mark_s += std::chrono::duration<double>(t3 - t2).count();
    }
    std::printf("phases: read outbox %.2f s, insert_many %.2f s, mark shipped %.2f s\n", read_s,
                insert_s, mark_s);

    // Leave nothing behind on the server.
    mongoc_client_t* client = mongoc_client_new(uri.c_str());
    for (const std::string& name : {database, database + "_phases"}) {
        mongoc_database_t* db = mongoc_client_get_database(client, name.c_str());
        mongoc_database_drop_with_opts(db, nullptr, nullptr);
        mongoc_database_destroy(db);
    }
    mongoc_client_destroy(client);
    return report.shipped == entries ? 0 : 1;
}
