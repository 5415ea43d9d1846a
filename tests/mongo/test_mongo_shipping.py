"""End to end: the real tradestored (sqlite-store, or postgres-store when
TRADESTORE_E2E_STORE=postgres; rest-source, expiry-scheduler, mongo-audit) over HTTP, and what reaches MongoDB: every decision in audit_logs exactly once, in order, with
the right fields; the TRADES_EXPIRED event with the right count; nothing lost or duplicated
across kill -9; retention deleting exactly what is older than the cut-off."""

import datetime
import signal
import time
import unittest

from mongo_support import (harness, assert_same_entries, date, mongo_daemon, require_server,
                           scratch_database, store_audit, wait_shipped, wait_until)

TODAY = "2026-11-24"
LATER = "2026-11-26"  # two business days on: trades maturing 2026-11-25 have matured


class ShippingTest(unittest.TestCase):
    def setUp(self):
        require_server(self)
        self.mongo = scratch_database(self)

    def test_every_decision_is_in_audit_logs_once_in_order_with_its_fields(self):
        daemon = mongo_daemon(self, self.mongo).start()
        client = daemon.client
        decisions = 0

        def post(body, *expected):
            nonlocal decisions
            r = client.post("/api/v1/trades", body)
            self.assertIn(r.status, expected, r)
            decisions += 1
            return r

        expiring = set()
        for i in range(60):
            maturity = "2026-11-25" if i % 5 == 0 else "2026-12-20"
            post(harness.trade(f"T{i:03}", 1, maturity=maturity, book=f"B{i % 4}"), 201)
            if i % 5 == 0:
                expiring.add(f"T{i:03}")
        for i in range(0, 60, 3):
            post(harness.trade(f"T{i:03}", 2, maturity="2026-12-21"), 201)   # updated
            post(harness.trade(f"T{i:03}", 1), 400)                          # LOWER_VERSION
            expiring.discard(f"T{i:03}")
        for i in range(0, 60, 4):
            version = 2 if i % 3 == 0 else 1
            maturity = "2026-12-21" if i % 3 == 0 else ("2026-11-25" if i % 5 == 0 else "2026-12-20")
            post(harness.trade(f"T{i:03}", version, maturity=maturity), 201)  # replaced
        for i in range(5):
            post(harness.trade(f"PAST{i}", 1, maturity="2026-11-01"), 400)    # MATURITY_IN_PAST
        # A batch: applied in one transaction, one audit entry per well-formed item.
        batch = [harness.trade("BATCH1", 1), harness.trade("BATCH1", 3), harness.trade("BATCH1", 2),
                 {"trade_id": "BAD"}, harness.trade("BATCH2", 1, maturity="2026-11-25")]
        r = client.post("/api/v1/trades/batch", batch)
        self.assertEqual(r.status, 200, r)
        outcomes = [item["outcome"] for item in r.json()]
        self.assertEqual(outcomes, ["created", "updated", "rejected", "invalid", "created"])
        decisions += 4
        expiring.add("BATCH2")
        for i in range(0, 60, 7):
            r = client.delete(f"/api/v1/trades/T{i:03}")
            self.assertEqual(r.status, 200, r)
            decisions += 1
            expiring.discard(f"T{i:03}")
        r = client.delete("/api/v1/trades/NOPE")
        self.assertEqual(r.status, 404, r)  # a refused delete (NOT_FOUND), audited
        decisions += 1
        post(harness.trade("T007", 1), 400)  # DELETED_VERSION: the tombstone holds
        r = client.post("/api/v1/expire-trades")
        self.assertEqual(r.json()["trades_expired"], 0)

        entries = wait_shipped(self, self.mongo, client)
        self.assertEqual(len(entries), decisions)
        daemon.stop()

        # Two business days on, the expiry job marks the matured trades at start.
        daemon = mongo_daemon(self, self.mongo, data_dir=daemon.data_dir, business_date=LATER).start()
        stats = daemon.client.get("/api/v1/statistics").json()
        self.assertEqual(stats["expired_trades"], len(expiring))
        # The job runs at start beside the sources: wait for its EXPIRE entries.
        wait_until(lambda: len(store_audit(daemon.client)) == decisions + len(expiring), 30,
                   "the expiry run at start")
        entries = wait_shipped(self, self.mongo, daemon.client)
        self.assertEqual(len(entries), decisions + len(expiring))
        self.assertEqual(sum(e["action"] == "EXPIRE" for e in entries), len(expiring))

        documents = self.mongo.find("audit_logs")
        assert_same_entries(self, documents, entries)  # once each, in id order, every field
        # Each trade's entries, read by trade_id and time, come in the order of its decisions.
        for trade_id in ("T000", "T012", "BATCH1", "T007"):
            by_trade = self.mongo.find("audit_logs", {"trade_id": trade_id},
                                       {"timestamp": 1, "_id": 1})
            self.assertEqual([d["_id"] for d in by_trade],
                             [e["id"] for e in store_audit(daemon.client, trade_id)])

        events = wait_until(lambda: self.mongo.find("trade_events", {"event_type": "TRADES_EXPIRED"}),
                            30, "the TRADES_EXPIRED event")
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["data"]["count"], len(expiring))
        self.assertEqual(events[0]["data"]["source"], "job")
        self.assertEqual(events[0]["data"]["business_date"], LATER)
        self.assertEqual(events[0]["severity"], "INFO")
        expire_entries = [e for e in entries if e["action"] == "EXPIRE"]
        self.assertEqual(events[0]["timestamp"], documents[-1]["timestamp"])
        self.assertEqual(len(expire_entries), len(expiring))
        # One STARTED per daemon start; the second start's event goes out with a later run of
        # the shipper than the audit entries above, so wait for it (and never more than two).
        wait_until(lambda: self.mongo.count("trade_events", {"event_type": "STARTED"}) >= 2, 30,
                   "both STARTED events")
        self.assertEqual(self.mongo.count("trade_events", {"event_type": "STARTED"}), 2)

        # POST /expire-trades with nothing left to expire writes no event.
        self.assertEqual(daemon.client.post("/api/v1/expire-trades").json()["trades_expired"], 0)
        time.sleep(1)
        self.assertEqual(self.mongo.count("trade_events", {"event_type": "TRADES_EXPIRED"}), 1)

    def test_kill_9_while_shipping_loses_nothing_and_duplicates_nothing(self):
        # A backlog written while the shipper is not loaded at all.
        plain = harness.Daemon(plugins=["trade-rules", "sqlite-store", "rest-source"])
        self.addCleanup(plain.cleanup)
        plain.start()
        for b in range(40):
            items = [harness.trade(f"K{b:02}-{i:03}", 1) for i in range(500)]
            r = plain.client.post("/api/v1/trades/batch", items)
            self.assertEqual(r.status, 200, r)
        entries = store_audit(plain.client)
        self.assertEqual(len(entries), 20000)
        plain.stop()

        # Small batches, so a run takes a while; kill -9 twice while documents are arriving.
        settings = "interval = 100ms\nbatch_size = 100"
        data_dir = plain.data_dir
        for kill in range(2):
            daemon = mongo_daemon(self, self.mongo, settings=settings, data_dir=data_dir).start()
            base = self.mongo.count("audit_logs")
            wait_until(lambda: self.mongo.count("audit_logs") > base + 200, 60,
                       "shipping to be under way", interval=0.05)
            # More decisions keep arriving while it ships.
            for i in range(20):
                self.assertEqual(daemon.client.post(
                    "/api/v1/trades", harness.trade(f"LIVE{kill}-{i}", 1)).status, 201)
            daemon.stop(sig=signal.SIGKILL)
            shipped = self.mongo.count("audit_logs")
            self.assertLess(shipped, 20000 + 40, "the kill came after shipping had finished")

        daemon = mongo_daemon(self, self.mongo, settings="interval = 100ms", data_dir=data_dir).start()
        entries = wait_shipped(self, self.mongo, daemon.client, timeout=300)
        self.assertEqual(len(entries), 20040)
        documents = self.mongo.find("audit_logs")
        self.assertEqual(len(documents), len(entries))            # none duplicated
        assert_same_entries(self, documents, entries)              # none lost, all intact
        time.sleep(0.5)
        self.assertEqual(self.mongo.count("audit_logs"), 20040)    # and nothing more arrives

    def test_retention_deletes_exactly_the_documents_older_than_the_cut_off(self):
        now = int(time.time() * 1000)
        day = 86_400_000
        old = [now - 400 * day, now - 30 * day - 10 * 60_000]
        young = [now - 30 * day + 10 * 60_000, now - day]
        self.mongo.insert("audit_logs", [{"_id": -(i + 1), "trade_id": "OLD", "action": "CREATE",
                                          "timestamp": date(t)} for i, t in enumerate(old + young)])
        self.mongo.insert("trade_events", [{"_id": f"OLD:{i}", "event_type": "OLD", "severity": "INFO",
                                            "data": {}, "timestamp": date(t)}
                                           for i, t in enumerate(old + young)])
        daemon = mongo_daemon(self, self.mongo,
                              settings="interval = 200ms\nretention_days = 30\nstore_retention_days = 0")
        daemon.start()
        self.assertEqual(daemon.client.post("/api/v1/trades", harness.trade("NEW", 1)).status, 201)
        wait_until(lambda: "retention: deleted" in daemon.read_log(), 30, "the retention run")
        self.assertIn("retention: deleted 2 audit_logs and 2 trade_events document(s) older than",
                      daemon.read_log())
        wait_until(lambda: self.mongo.count("audit_logs", {"trade_id": "NEW"}) == 1, 30,
                   "the new entry in MongoDB")
        left = self.mongo.find("audit_logs", {"trade_id": "OLD"}, {"timestamp": 1})
        self.assertEqual([d["timestamp"] for d in left], young)
        events = self.mongo.find("trade_events", {"event_type": "OLD"}, {"timestamp": 1})
        self.assertEqual([d["timestamp"] for d in events], young)
        # Freshly shipped entries are young: kept, in the store too.
        self.assertEqual(len(store_audit(daemon.client)), 1)


if __name__ == "__main__":
    unittest.main()
