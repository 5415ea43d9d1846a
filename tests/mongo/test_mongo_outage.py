"""End to end: MongoDB goes away for several seconds while trades stream in. Ingestion never
pauses (every POST is answered 201, promptly), the backlog waits in the store, and once the
server is back it drains: MongoDB ends with exactly the store's entries.

The server is a FerretDB of this test's own, stopped and started again on the same port. With
TRADESTORE_TEST_MONGO_URI set (a server the test does not own), the outage is played by a
proxy in front of it that cuts every connection and refuses new ones."""

import os
import threading
import time
import unittest

from mongo_support import (harness, CutProxy, FerretServer, Mongo, assert_same_entries, metric, mongo_daemon,
                           require_server, scratch_database, wait_shipped, wait_until)

OUTAGE_SECONDS = 6
BACKLOG = "tradestore_audit_unshipped_entries"


class OutageTest(unittest.TestCase):
    def setUp(self):
        require_server(self)
        shared = scratch_database(self)
        if os.environ.get("TRADESTORE_TEST_MONGO_URI"):
            self.server = CutProxy(shared.uri)
            self.mongo = shared  # read directly, not through the proxy
        else:
            self.server = FerretServer()
            self.mongo = Mongo(self.server.uri, shared.database)
        self.addCleanup(self.server.cleanup)

    def test_ingestion_never_pauses_and_the_backlog_drains_exactly(self):
        daemon = mongo_daemon(self, self.mongo, uri=self.server.uri,
                              settings="interval = 200ms\nbatch_size = 500").start()
        results = []  # (expected status, status, seconds, phase)
        phase = ["before"]
        stop = threading.Event()

        def post(client, body, expected):
            started = time.monotonic()
            r = client.post("/api/v1/trades", body)
            results.append((expected, r.status, time.monotonic() - started, phase[0]))

        def stream(worker):
            client = harness.Client(daemon.port)
            i = 0
            while not stop.is_set():
                post(client, harness.trade(f"W{worker}-{i:05}", 1), 201)
                if i % 5 == 0:  # rejections are decisions too, and audited
                    post(client, harness.trade(f"W{worker}-{i:05}", 1, maturity="2020-01-01"), 400)
                i += 1
            client.close()

        workers = [threading.Thread(target=stream, args=(w,)) for w in range(3)]
        for w in workers:
            w.start()
        try:
            wait_until(lambda: self.mongo.count("audit_logs") > 50, 30, "shipping to start")
            phase[0] = "outage"
            outage_started = time.monotonic()
            self.server.stop()
            time.sleep(1.5)
            # The backlog gauge (counted once per shipper run) rises while MongoDB is away.
            backlog_early = metric(daemon.client, BACKLOG)
            time.sleep(OUTAGE_SECONDS - 1.5)
            backlog_late = metric(daemon.client, BACKLOG)
            events_during = daemon.client.get("/api/v1/events")
            # Health and the metrics both show MongoDB down; ingestion stays healthy.
            up_during = metric(daemon.client, "tradestore_mongo_audit_up")
            health_during = daemon.client.get("/api/v1/health").json()
            self.server.start()
            outage = time.monotonic() - outage_started
            phase[0] = "after"
            time.sleep(2)
        finally:
            stop.set()
            for w in workers:
                w.join()

        wrong = [r for r in results if r[0] != r[1]]
        self.assertEqual(wrong, [], "a POST was not answered as it should have been")
        during = [r for r in results if r[3] == "outage"]
        self.assertGreaterEqual(outage, OUTAGE_SECONDS)
        self.assertGreater(len(during), 100, "ingestion slowed down during the outage")
        self.assertLess(max(r[2] for r in during), 2.0, "a POST waited for MongoDB")

        entries = wait_shipped(self, self.mongo, daemon.client, timeout=180)
        self.assertEqual(len(entries), len(results))
        documents = self.mongo.find("audit_logs")
        assert_same_entries(self, documents, entries)
        if up_during is not None:
            self.assertEqual(up_during, 0.0)
            wait_until(lambda: metric(daemon.client, "tradestore_mongo_audit_up") == 1.0, 30,
                       "tradestore_mongo_audit_up 1")
            self.assertGreaterEqual(metric(daemon.client, "tradestore_mongo_audit_shipped_entries_total"),
                                    len(entries))
        self.assertGreater(backlog_early, 0)
        self.assertGreater(backlog_late, backlog_early)
        wait_until(lambda: metric(daemon.client, BACKLOG) == 0.0, 60, f"{BACKLOG} back to 0")
        self.assertEqual(events_during.status, 503, events_during)  # trade_events unreachable
        self.assertEqual(daemon.client.get("/api/v1/events").status, 200)
        self.assertEqual(health_during["services"].get("mongodb"), "down", health_during)
        self.assertEqual(health_during["status"], "healthy", health_during)
        wait_until(lambda: daemon.client.get("/api/v1/health").json()["services"].get("mongodb") == "up",
                   30, "health to show mongodb up")
        log = daemon.read_log()
        self.assertIn("is down", log)
        self.assertIn("is reachable again", log)
        wait_until(lambda: "backlog drained" in daemon.read_log(), 30, "the backlog drained line")


if __name__ == "__main__":
    unittest.main()
