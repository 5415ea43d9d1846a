"""The change feed (kafka-source `changes_topic`, the store's `change_feed = true`), through the
real daemon and broker: versions and tombstones of 300 ids from Kafka, REST writes and
deletes, a restart and an expiry run on a later business date. Read back from the changes
topic, with duplicates dropped by history_id, the feed must equal every trade's history
(change_feed_oracle.py)."""

import os
import random
import signal
import sqlite3
import time
import unittest

from change_feed_oracle import check_feed_equals_history, outbox_rows, wait_until_published
from kafka_harness import (StoreView, brokers, consume, create_topic, end_offsets, kafka_daemon,
                           kafka_section, produce, unique)
from harness import trade
from test_deletes import stream


def stream_fed_daemon(test, name, seed, batch_size, settings):
    """A daemon (not started) consuming a produced stream of versions and tombstones
    (test_deletes.stream) with the feed on: (address, topic, changes topic, the consumed
    messages, daemon, store view)."""
    address = brokers()
    topic, changes = unique(name + "-in"), unique(name + "-changes")
    create_topic(address, topic, 3)
    create_topic(address, changes, 3)
    produce(address, topic, stream(seed=seed))
    messages = consume(address, topic)
    extra = f"deletes = true\nchanges_topic = {changes}\n{settings}"
    daemon = kafka_daemon(kafka_section(address, topic, unique(name + "-group"), topic + ".dlq",
                                        batch_size=batch_size, extra=extra),
                          sqlite_settings="change_feed = true")
    test.addCleanup(daemon.cleanup)
    view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
    return address, topic, changes, messages, daemon, view


def feed_only_daemon(test, name, interval, sqlite_settings):
    """A started daemon taking REST writes whose kafka-source only publishes the feed (no
    topics), with its changes topic: (address, changes topic, daemon, store view)."""
    address = brokers()
    changes = unique(name + "-changes")
    create_topic(address, changes, 3)
    section = ("[plugin.kafka-source]\n"
               f"brokers = {address}\n"
               "topics =\n"
               f"changes_topic = {changes}\n"
               f"changes_interval = {interval}\n")
    daemon = kafka_daemon(section, sqlite_settings=sqlite_settings)
    test.addCleanup(daemon.cleanup)
    view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
    daemon.start()
    return address, changes, daemon, view


class ChangeFeedTest(unittest.TestCase):
    def test_the_feed_read_back_equals_every_trades_history(self):
        address, topic, changes, messages, daemon, view = stream_fed_daemon(
            self, "feed", 20261207, 100, "changes_interval = 50ms")
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


    def test_kill_9_while_publishing_loses_no_row(self):
        """kill -9 three times while the feed publishes a backlog (rows produced, not yet taken
        out of the outbox): the restarted daemon publishes them again; nothing is missing, and
        dropping duplicates by history_id gives the history."""
        address, topic, changes, messages, daemon, view = stream_fed_daemon(
            self, "feed-kill", 7, 50,
            "changes_interval = 10ms\nkafka.consumer.group.instance.id = feed-kill-node")
        rng = random.Random(5)
        for _ in range(3):
            daemon.start()
            time.sleep(rng.uniform(0.3, 1.2))
            daemon.stop(sig=signal.SIGKILL)
        daemon.start()
        view.wait_for(topic, end_offsets(messages), daemons=[daemon])
        wait_until_published(self, daemon, view)
        self.assertEqual(outbox_rows(view), 0)
        rows = check_feed_equals_history(self, daemon, address, changes,
                                         {m["key"] for m in messages})
        self.assertGreater(rows, 600)
        self.assertEqual(daemon.stop(), 0)

    def test_rows_published_but_not_taken_out_are_published_again(self):
        """The store refuses the mark after Kafka acknowledged a batch (its file locked by
        another process): the batch stays in the outbox and is published again, whole, once
        the lock goes; the consumer drops the duplicates by history_id and has the history."""
        address, changes, daemon, view = feed_only_daemon(
            self, "feed-again", "1s", "change_feed = true\nbusy_timeout = 200ms")
        ids = [f"A{n}" for n in range(20)]
        for trade_id in ids:
            self.assertEqual(daemon.client.post("/api/v1/trades", trade(trade_id, 1)).status, 201)
        wait_until_published(self, daemon, view)
        locked = None
        for version in range(2, 8):  # until the lock is taken with rows waiting
            for trade_id in ids:
                r = daemon.client.post("/api/v1/trades", trade(trade_id, version))
                self.assertEqual(r.status, 201, r)
            lock = sqlite3.connect(os.path.join(daemon.data_dir, "trades.db"),
                                   isolation_level=None, timeout=10)
            lock.execute("BEGIN EXCLUSIVE")
            if lock.execute("SELECT count(*) FROM change_outbox").fetchone()[0] > 0:
                locked = lock
                break
            lock.execute("ROLLBACK")
            lock.close()
        self.assertIsNotNone(locked, "the feed always took the rows before the lock")
        time.sleep(2.5)  # at least one run reads, publishes, and cannot take them out
        waiting = locked.execute("SELECT count(*) FROM change_outbox").fetchone()[0]
        locked.execute("ROLLBACK")
        locked.close()
        self.assertEqual(waiting, 20)
        wait_until_published(self, daemon, view)
        self.assertIn("change feed", daemon.read_log())
        rows = check_feed_equals_history(self, daemon, address, changes, set(ids))
        self.assertEqual(rows, 20 * (version))
        self.assertGreaterEqual(self.feed_duplicates, 20)
        self.assertEqual(daemon.stop(), 0)

    def test_a_rest_only_deployment_publishes_its_feed_without_consuming(self):
        address, changes, daemon, view = feed_only_daemon(self, "feed-only", "50ms",
                                                          "change_feed = true")
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
