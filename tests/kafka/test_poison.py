"""Poison never stops a partition, and a partition that stops anyway is visible.

 - Poison keys (a NUL byte, invalid UTF-8, 8,000 bytes) on bad values, interleaved with good
   trades (some of them with poison keys too), on SQLite and, when its server binaries are
   there, on PostgreSQL: every good trade is stored, the dead-letter topic holds exactly the
   bad messages, one audit entry per offset with the key recorded escaped (hashed past 200
   bytes), and the source never stalls.
 - The store locked longer than a short stall_timeout while messages wait: /health says the
   source is down and stalled, tradestore_kafka_stalled is 1, one KAFKA_STALLED event; once
   the store is back everything is applied and the source is healthy again."""

import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest

from kafka_harness import (INVALID_TRADE, MALFORMED_JSON, VALID, PgView, StoreView, brokers,
                           check_store_matches, consume, create_topic, end_offsets,
                           expected_decisions, headers_of, kafka_daemon, kafka_section, tool,
                           trade_body, unique)

PG_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                         "pg-test-server.sh")

NUL_KEY = "K\u0000EY"
BAD_UTF8_KEY = "K\udcffEY"  # the byte 0xFF, through surrogateescape
LONG_KEY = "L" * 8000
# How the audit records each key (the rule of storable_text in kernel/trade_shape.h, written
# out: bad bytes as \xHH, past 200 bytes 180 bytes, "...#" and 16 hex digits of SHA-256).
RECORDED_KEY = {
    NUL_KEY: "K\\x00EY",
    BAD_UTF8_KEY: "K\\xffEY",
    LONG_KEY: "L" * 180 + "...#" + hashlib.sha256(LONG_KEY.encode()).hexdigest()[:16],
}


def produce_raw(address, topic, records):
    """Like kafka_harness.produce, but the JSON lines carry keys as raw bytes (surrogateescape),
    so a key may be invalid UTF-8."""
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = tool("produce", "--brokers", address, "--topic", topic, input_text=lines)
    assert json.loads(out)["produced"] == len(records), out


def poison_stream(seed):
    """Good trades (versions 1..3 of 40 ids, each id on one partition), bad values under
    poison keys, and good trades under poison keys. Returns (records, class of each seq)."""
    rng = random.Random(seed)
    items = []
    for n in range(40):
        trade_id = f"G{n:03d}"
        for version in (1, 2, 3):
            items.append((VALID, trade_id, trade_body(trade_id, version), n % 3))
    bad_values = [(MALFORMED_JSON, "{not json"),
                  (INVALID_TRADE, '{"trade_id": "X", "version": "x"}')]
    for k, key in enumerate(RECORDED_KEY):
        for cls, value in bad_values:
            items.append((cls, key, value, rng.randrange(3)))
        # A good trade under a poison key: the key is not its id, so it is stored.
        trade_id = f"P{k:03d}"
        items.append((VALID, key, trade_body(trade_id, 1), k % 3))
    rng.shuffle(items)
    records, classes = [], {}
    for seq, (cls, key, value, partition) in enumerate(items):
        records.append({"key": key, "value": value, "partition": partition,
                        "headers": [["seq", str(seq)]]})
        classes[str(seq)] = cls
    return records, classes


class PoisonScenario:
    def __init__(self, test, address):
        self.test = test
        self.address = address
        self.topic = unique("poison")
        self.dlq = self.topic + ".dlq"
        create_topic(address, self.topic, 3)
        self.records, self.classes = poison_stream(seed=14)
        self.section = kafka_section(address, self.topic, unique("poison-group"), self.dlq,
                                     batch_size=50, extra="stall_timeout = 5s")

    def run(self, daemon, view):
        test = self.test
        daemon.start()
        produce_raw(self.address, self.topic, self.records)
        messages = consume(self.address, self.topic)
        test.assertEqual(len(messages), len(self.records))
        view.wait_for(self.topic, end_offsets(messages), timeout=60, daemons=[daemon])

        # One audit entry per offset with the expected decision; bad keys recorded escaped.
        keys = {str(seq): r["key"] for seq, r in enumerate(self.records)}
        decisions, state = expected_decisions(self.topic, messages, self.classes)
        for m in messages:
            reference = f"{self.topic}/{m['partition']}/{m['offset']}"
            key = keys[headers_of(m)["seq"]]
            if decisions[reference][4] == "invalid" and key in RECORDED_KEY:
                decisions[reference] = (decisions[reference][0], decisions[reference][1],
                                        RECORDED_KEY[key]) + decisions[reference][3:]
        check_store_matches(test, view, self.topic, decisions, state)
        test.assertEqual(len(state), 43)  # G000..G039 and P000..P002

        # The dead-letter topic holds exactly the bad messages, each once.
        poison = {(m["partition"], m["offset"]) for m in messages
                  if self.classes[headers_of(m)["seq"]] in (MALFORMED_JSON, INVALID_TRADE)}
        test.assertEqual(len(poison), 6)
        letters = consume(self.address, self.dlq)
        got = [(int(headers_of(m)["tradestore.dlq.partition"]),
                int(headers_of(m)["tradestore.dlq.offset"])) for m in letters]
        test.assertEqual(sorted(got), sorted(poison))
        for m in letters:
            test.assertEqual(m["key"], keys[headers_of(m)["seq"]])

        health = daemon.client.get("/api/v1/health").json()
        test.assertEqual(health["services"].get("kafka"), "up", health)
        test.assertEqual(health["services"].get("kafka_stalled"), "false", health)
        test.assertEqual(daemon.stop(), 0)
        test.assertNotIn("stalled", daemon.read_log())


class SqlitePoisonTest(unittest.TestCase):
    def test_poison_keys_and_values_are_dead_lettered_and_the_rest_is_stored(self):
        scenario = PoisonScenario(self, brokers())
        daemon = kafka_daemon(scenario.section)
        self.addCleanup(daemon.cleanup)
        scenario.run(daemon, StoreView(os.path.join(daemon.data_dir, "trades.db")))


class PostgresPoisonTest(unittest.TestCase):
    def test_poison_keys_and_values_are_dead_lettered_and_the_rest_is_stored(self):
        address = brokers()
        if not os.path.exists(os.path.join(os.environ.get("TRADESTORE_PLUGIN_DIR", ""),
                                           "postgres-store.so")):
            raise unittest.SkipTest("the postgres-store plugin is not built")
        state = tempfile.mkdtemp(prefix="tradestore-kafka-pg-")
        self.addCleanup(shutil.rmtree, state, True)
        self.addCleanup(subprocess.run, [PG_SCRIPT, "stop", state], capture_output=True)
        started = subprocess.run([PG_SCRIPT, "start", state], capture_output=True, text=True,
                                 timeout=180)
        self.assertEqual(started.returncode, 0, started.stderr)
        uri_file = os.path.join(state, "uri")
        if not os.path.exists(uri_file):
            raise unittest.SkipTest("no PostgreSQL server binaries: " + started.stderr.strip())
        with open(uri_file) as f:
            uri = f.read().strip()
        psql = "psql"
        if os.path.exists(os.path.join(state, "bindir")):
            with open(os.path.join(state, "bindir")) as f:
                psql = os.path.join(f.read().strip(), "psql")
        scenario = PoisonScenario(self, address)
        daemon = kafka_daemon(scenario.section, pg_uri=uri)
        self.addCleanup(daemon.cleanup)
        scenario.run(daemon, PgView(uri, psql))


class StallTest(unittest.TestCase):
    def test_a_store_locked_past_stall_timeout_makes_the_source_stalled_until_it_is_back(self):
        address = brokers()
        topic = unique("stall")
        group = unique("stall-group")
        create_topic(address, topic, 3)
        section = kafka_section(address, topic, group, topic + ".dlq", batch_size=20,
                                extra="stall_timeout = 2s")
        daemon = kafka_daemon(section, sqlite_settings="busy_timeout = 300ms")
        self.addCleanup(daemon.cleanup)
        db_path = os.path.join(daemon.data_dir, "trades.db")
        view = StoreView(db_path)
        daemon.start()

        def batch(first, count):
            return [{"key": f"S{n:03d}", "value": trade_body(f"S{n:03d}", 1),
                     "headers": [["seq", str(n)]]} for n in range(first, first + count)]

        produce_raw(address, topic, batch(0, 30))
        ends = end_offsets(consume(address, topic))
        view.wait_for(topic, ends, timeout=60, daemons=[daemon])

        lock = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        self.addCleanup(lock.close)
        lock.execute("BEGIN EXCLUSIVE")
        stalled_health, stalled_metrics = None, ""
        try:
            produce_raw(address, topic, batch(30, 30))  # these wait: the store is locked
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                health = daemon.client.get("/api/v1/health").json()
                if health["services"].get("kafka_stalled") == "true":
                    stalled_health = health
                    break
                time.sleep(0.2)
            # The gauge follows on the poll thread's next turn.
            gauge = f'tradestore_kafka_stalled{{group="{group}"}} 1'
            while time.monotonic() < deadline and gauge not in stalled_metrics:
                stalled_metrics = daemon.client.get("/metrics").body.decode()
                time.sleep(0.1)
            time.sleep(1.5)  # still stalled: the event must not repeat
        finally:
            lock.execute("ROLLBACK")
        self.assertIsNotNone(stalled_health, daemon.read_log()[-3000:])
        self.assertEqual(stalled_health["services"].get("kafka"), "down", stalled_health)
        self.assertEqual(stalled_health["status"], "unhealthy", stalled_health)
        self.assertIn(f'tradestore_kafka_stalled{{group="{group}"}} 1', stalled_metrics)

        # Back: every message applied, healthy again, the stall reported once.
        view.wait_for(topic, end_offsets(consume(address, topic)), timeout=60, daemons=[daemon])
        deadline = time.monotonic() + 20
        health = None
        while time.monotonic() < deadline:
            health = daemon.client.get("/api/v1/health").json()
            if health["services"].get("kafka_stalled") == "false":
                break
            time.sleep(0.2)
        self.assertEqual(health["services"].get("kafka"), "up", health)
        self.assertEqual(health["services"].get("kafka_stalled"), "false", health)
        self.assertIn(f'tradestore_kafka_stalled{{group="{group}"}} 0',
                      daemon.client.get("/metrics").body.decode())
        self.assertEqual(len(view.trades()), 60)

        def stalled_events():
            return view._query("SELECT data FROM event_outbox WHERE event_type = 'KAFKA_STALLED'")
        deadline = time.monotonic() + 20
        while not stalled_events() and time.monotonic() < deadline:
            time.sleep(0.2)
        events = stalled_events()
        self.assertEqual(len(events), 1, events)
        self.assertIn('"stall_timeout_seconds":2', events[0][0])
        self.assertEqual(daemon.stop(), 0)


if __name__ == "__main__":
    unittest.main()
