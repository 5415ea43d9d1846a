"""End to end: the kernel's system events are durable. An event is written to the store's event
outbox at once (off the ingest path); while MongoDB is down it waits there, survives a kill -9
of the daemon, and ships when a restarted daemon finds MongoDB back: exactly once in
trade_events (the event id is the document's _id, so a resend after a crash between MongoDB's
acknowledgement and the outbox mark is harmless too).

The server is a FerretDB of this test's own, stopped and started again on the same port (with
TRADESTORE_TEST_MONGO_URI set, a proxy in front of that server plays the outage). The store is
SQLite, or PostgreSQL with TRADESTORE_E2E_STORE=postgres."""

import os
import signal
import sqlite3
import subprocess
import unittest

from mongo_support import (CutProxy, FerretServer, Mongo, harness, mongo_daemon, require_server,
                           scratch_database, wait_until)


class EventDurabilityTest(unittest.TestCase):
    def setUp(self):
        require_server(self)
        shared = scratch_database(self)
        if os.environ.get("TRADESTORE_TEST_MONGO_URI"):
            self.server = CutProxy(shared.uri)
            self.mongo = shared
        else:
            self.server = FerretServer()
            self.mongo = Mongo(self.server.uri, shared.database)
        self.addCleanup(self.server.cleanup)

    def store_sql(self, daemon, sql):
        """Runs `sql` on the daemon's store (SQLite file or PostgreSQL database); the rows."""
        if harness.STORE == "postgres":
            separator = "\x1f"  # JSON data may hold any printable separator
            out = subprocess.run(["psql", harness.postgres_database_uri(daemon.data_dir), "-qtAX",
                                  "-F", separator, "-c", sql], capture_output=True, text=True,
                                 check=True).stdout
            return [tuple(line.split(separator)) for line in out.splitlines() if line]
        path = os.path.join(daemon.data_dir, "trades.db")
        self.assertTrue(os.path.exists(path), "no SQLite store file")
        with sqlite3.connect(path, timeout=10) as db:
            return [tuple(str(v) for v in row) for row in db.execute(sql).fetchall()]

    def outbox(self, daemon, where=""):
        """The rows of the store's event outbox: (id, event_type, data, shipped as "0"/"1")."""
        return self.store_sql(daemon, "SELECT id, event_type, data, "
                                      "CASE WHEN shipped THEN '1' ELSE '0' END FROM event_outbox "
                                      f"{where} ORDER BY timestamp, id")

    def test_an_event_survives_kill_9_and_arrives_exactly_once(self):
        self.server.stop()  # MongoDB is down from the start: nothing can ship
        daemon = mongo_daemon(self, self.mongo, uri=self.server.uri).start()
        first_pid = daemon.process.pid
        self.assertEqual(daemon.client.post("/api/v1/trades", harness.trade("K9", 1)).status, 201)

        # STARTED is in the store's outbox (durable) well before any shipping could happen.
        started = wait_until(lambda: self.outbox(daemon, "WHERE event_type = 'STARTED'"), 10,
                             "STARTED in the store's event outbox")
        self.assertEqual(len(started), 1, started)
        event_id, _, data, shipped = started[0]
        self.assertTrue(event_id.startswith("STARTED:"), event_id)
        self.assertIn(f'"pid":{first_pid}', data)
        self.assertEqual(shipped, "0")

        self.assertEqual(daemon.stop(sig=signal.SIGKILL), -signal.SIGKILL)
        # No STOPPED (the process had no chance), STARTED still waiting.
        rows = self.outbox(daemon)
        self.assertEqual([(r[1], r[3]) for r in rows], [("STARTED", "0")], rows)

        self.server.start()
        daemon.start()
        second_pid = daemon.process.pid
        arrived = wait_until(lambda: self.mongo.find("trade_events", {"_id": event_id}), 60,
                             "the first run's STARTED in trade_events")
        self.assertEqual(arrived[0]["event_type"], "STARTED")
        self.assertEqual(arrived[0]["severity"], "INFO")
        self.assertEqual(arrived[0]["data"]["pid"], first_pid)
        wait_until(lambda: self.mongo.find("trade_events", {"event_type": "STARTED",
                                                            "data.pid": second_pid}), 30,
                   "the second run's STARTED in trade_events")
        wait_until(lambda: self.outbox(daemon, "WHERE NOT shipped") == [], 30,
                   "the outbox marked shipped")
        self.assertEqual(self.mongo.count("trade_events", {"event_type": "STARTED",
                                                           "data.pid": first_pid}), 1)
        self.assertEqual(self.mongo.count("audit_logs", {"trade_id": "K9"}), 1)

        # A crash after MongoDB acknowledged but before the mark: the event ships again on
        # the next start, and trade_events still holds it once.
        self.assertEqual(daemon.stop(), 0)
        self.store_sql(daemon, "UPDATE event_outbox SET shipped = false")
        daemon.start()
        wait_until(lambda: self.outbox(daemon, "WHERE NOT shipped") == [], 30,
                   "the resent events marked shipped")
        self.assertEqual(self.mongo.count("trade_events", {"_id": event_id}), 1)
        for pid in (first_pid, second_pid):
            self.assertEqual(self.mongo.count("trade_events", {"event_type": "STARTED",
                                                               "data.pid": pid}), 1, pid)
        self.assertEqual(self.mongo.count("trade_events", {"event_type": "STOPPED",
                                                           "data.pid": second_pid}), 1)


if __name__ == "__main__":
    unittest.main()
