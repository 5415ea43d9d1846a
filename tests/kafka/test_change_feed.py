"""The change feed (kafka-source `changes_topic`, the store's `change_feed = true`), through the
real daemon and broker: versions and tombstones of 300 ids from Kafka, REST writes and
deletes, a restart and an expiry run on a later business date. Read back from the changes
topic, with duplicates dropped by history_id, the feed must equal every trade's history
(change_feed_oracle.py)."""

import os
import unittest

from change_feed_oracle import check_feed_equals_history, wait_until_published
from kafka_harness import (StoreView, brokers, consume, create_topic, end_offsets, kafka_daemon,
                           kafka_section, produce, unique)
from harness import trade
from test_deletes import stream


class ChangeFeedTest(unittest.TestCase):
    def test_the_feed_read_back_equals_every_trades_history(self):
        address = brokers()
        topic, changes = unique("feed-in"), unique("feed-changes")
        create_topic(address, topic, 3)
        create_topic(address, changes, 3)
        records = stream(seed=20261207)
        produce(address, topic, records)
        messages = consume(address, topic)
        extra = f"deletes = true\nchanges_topic = {changes}\nchanges_interval = 50ms"
        daemon = kafka_daemon(kafka_section(address, topic, unique("feed-group"), topic + ".dlq",
                                            batch_size=100, extra=extra),
                              sqlite_settings="change_feed = true")
        self.addCleanup(daemon.cleanup)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        daemon.start()
        view.wait_for(topic, end_offsets(messages), daemons=[daemon])

        # REST: creates, an update, a refused lower version, a delete; two mature tomorrow.
        for n in range(5):
            r = daemon.client.post("/api/v1/trades", trade(f"R{n}", 1, maturity="2026-11-25"))
            self.assertEqual(r.status, 201, r)
        self.assertEqual(daemon.client.post("/api/v1/trades", trade("R0", 2)).status, 201)
        self.assertEqual(daemon.client.post("/api/v1/trades", trade("R0", 1)).status, 400)
        self.assertEqual(daemon.client.delete("/api/v1/trades/R4").status, 200)
        wait_until_published(self, daemon, view)

        # A restart on a later business date, and an expiry run: EXPIRE versions.
        self.assertEqual(daemon.stop(), 0)
        with open(daemon.config_path) as f:
            config = f.read()
        with open(daemon.config_path, "w") as f:
            f.write(config.replace("business_date = 2026-11-24", "business_date = 2026-11-26"))
        daemon.start()
        r = daemon.client.post("/api/v1/expire-trades")
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json()["trades_expired"], 3)  # R1..R3
        wait_until_published(self, daemon, view)

        ids = {m["key"] for m in messages} | {f"R{n}" for n in range(5)}
        rows = check_feed_equals_history(self, daemon, address, changes, ids)
        self.assertGreater(rows, 600)
        self.assertEqual(daemon.stop(), 0)


    def test_a_rest_only_deployment_publishes_its_feed_without_consuming(self):
        address = brokers()
        changes = unique("feed-only-changes")
        create_topic(address, changes, 3)
        section = ("[plugin.kafka-source]\n"
                   f"brokers = {address}\n"
                   "topics =\n"
                   f"changes_topic = {changes}\n"
                   "changes_interval = 50ms\n")
        daemon = kafka_daemon(section, sqlite_settings="change_feed = true")
        self.addCleanup(daemon.cleanup)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        daemon.start()
        for version in (1, 2):
            for n in range(20):
                r = daemon.client.post("/api/v1/trades", trade(f"F{n}", version))
                self.assertEqual(r.status, 201, r)
        wait_until_published(self, daemon, view)
        health = daemon.client.get("/api/v1/health").json()
        self.assertEqual(health["status"], "healthy", health)
        self.assertEqual(health["services"]["change_feed"], "up", health)
        self.assertIn("no topics to consume", daemon.read_log())
        rows = check_feed_equals_history(self, daemon, address, changes,
                                         {f"F{n}" for n in range(20)})
        self.assertEqual(rows, 40)
        self.assertEqual(daemon.stop(), 0)


if __name__ == "__main__":
    unittest.main()
