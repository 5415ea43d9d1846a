"""The store goes away for several seconds mid-stream: consumption pauses (the source keeps
polling, so it stays in the group), the same batch is retried with backoff, the committed
offsets never pass what the store recorded, and once the store is back consumption resumes
and nothing is lost, nothing is applied twice.

Two outages:
 - SQLite: another process holds the write lock (BEGIN EXCLUSIVE) for 4 s; the store answers
   StoreUnavailable after its busy_timeout (300 ms here), as when a disk or a lock stalls.
 - PostgreSQL: the server is stopped (pg_ctl stop -m fast) for 4 s and started again, on a
   private server (scripts/pg-test-server.sh). Skipped without PostgreSQL's server binaries
   (the script fails instead when CI=true)."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from kafka_harness import (PgView, StoreView, brokers, check_store_matches, committed, consume,
                           create_topic, end_offsets, expected_decisions, kafka_daemon,
                           kafka_section, produce, trade_stream, unique)

OUTAGE_SECONDS = 4
PG_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                         "pg-test-server.sh")
UNBOUNDED = {0: 10**9, 1: 10**9, 2: 10**9}


class OutageScenario:
    """A 10,000-message stream produced over a few seconds, with an outage once 1,500 are
    applied; its second half is produced only once the outage has begun (`outage_begun`), so
    the source meets the outage however fast it drained the first."""

    def __init__(self, test, address):
        self.test = test
        self.address = address
        self.topic = unique("outage")
        self.group = unique("outage-group")
        create_topic(address, self.topic, 3)
        self.records, self.classes = trade_stream(500, 18, 500, 500, seed=5)
        self.section = kafka_section(address, self.topic, self.group, self.topic + ".dlq",
                                     batch_size=100)
        self.outage_begun = threading.Event()

    def outage_goes_on(self, daemon, since):
        """True while an outage begun at `since` should last: OUTAGE_SECONDS, and beyond them
        until the daemon has met it (a loaded machine may deliver the messages sent during the
        outage only seconds later), at most a minute."""
        elapsed = time.monotonic() - since
        if elapsed < OUTAGE_SECONDS:
            return True
        return elapsed < 60 and "consumption paused" not in daemon.read_log()

    def run(self, daemon, view, outage):
        """Starts the daemon and the stream; calls outage() once the stream is under way;
        waits for the end. Returns what outage() returned."""
        test = self.test
        daemon.start()
        chunks = [self.records[i:i + 1000] for i in range(0, len(self.records), 1000)]

        def produce_slowly():
            for n, chunk in enumerate(chunks):
                if n == len(chunks) // 2:
                    self.outage_begun.wait(120)
                produce(self.address, self.topic, chunk)
                time.sleep(0.4)

        producer = threading.Thread(target=produce_slowly)
        producer.start()
        try:
            deadline = time.monotonic() + 60
            while view.progress(self.topic, UNBOUNDED) < 1500:
                test.assertLess(time.monotonic(), deadline, daemon.read_log()[-3000:])
                time.sleep(0.01)
            observed = outage()
        finally:
            self.outage_begun.set()
            producer.join()
        messages = consume(self.address, self.topic)
        test.assertEqual(len(messages), len(self.records))
        decisions, state = expected_decisions(self.topic, messages, self.classes)
        view.wait_for(self.topic, end_offsets(messages), daemons=[daemon])
        test.assertEqual(daemon.stop(), 0)

        log = daemon.read_log()
        # The outage shows as a refused connection, or as a COMMIT whose outcome the store
        # could not learn (the server stopped during it); both pause and retry.
        test.assertTrue("store unavailable" in log or "commit outcome unknown" in log, log)
        test.assertIn("consumption paused", log)
        test.assertIn("consumption resumed", log)
        check_store_matches(test, view, self.topic, decisions, state)
        return observed


class SqliteOutageTest(unittest.TestCase):
    def test_consumption_pauses_while_the_store_is_locked_and_resumes_losing_nothing(self):
        scenario = OutageScenario(self, brokers())
        daemon = kafka_daemon(scenario.section, sqlite_settings="busy_timeout = 300ms")
        self.addCleanup(daemon.cleanup)
        db_path = os.path.join(daemon.data_dir, "trades.db")

        def lock_the_store():
            lock = sqlite3.connect(db_path, timeout=30, isolation_level=None)
            try:
                lock.execute("BEGIN EXCLUSIVE")
                locked_at = time.monotonic()
                scenario.outage_begun.set()

                def read_positions():
                    return {p: o for p, o in lock.execute(
                        'SELECT "partition", "offset" FROM source_positions WHERE stream = ?',
                        (scenario.topic,))}
                during = read_positions()
                samples = []
                while scenario.outage_goes_on(daemon, locked_at):
                    samples.append((read_positions(),
                                    committed(scenario.address, scenario.group, scenario.topic)))
                    time.sleep(0.5)
                health = daemon.client.get("/api/v1/health").json()
                lock.execute("ROLLBACK")
            finally:
                lock.close()
            return during, samples, health

        during, samples, health = scenario.run(daemon, StoreView(db_path), lock_the_store)
        # While the store was down nothing was recorded, and Kafka's committed offsets never
        # passed what the store had recorded.
        self.assertGreaterEqual(len(samples), 4)
        for positions, offsets in samples:
            self.assertEqual(positions, during)
            for partition, offset in offsets.items():
                self.assertLessEqual(offset, during.get(partition, -1) + 1, (offsets, during))
        self.assertEqual(health["services"].get("kafka"), "up", health)


class PostgresOutageTest(unittest.TestCase):
    def setUp(self):
        self.address = brokers()
        if not os.path.exists(os.path.join(os.environ.get("TRADESTORE_PLUGIN_DIR", ""),
                                           "postgres-store.so")):
            raise unittest.SkipTest("the postgres-store plugin is not built")
        self.state = tempfile.mkdtemp(prefix="tradestore-kafka-pg-")
        self.addCleanup(shutil.rmtree, self.state, True)
        self.addCleanup(subprocess.run, [PG_SCRIPT, "stop", self.state], capture_output=True)
        started = subprocess.run([PG_SCRIPT, "start", self.state], capture_output=True,
                                 text=True, timeout=180)
        self.assertEqual(started.returncode, 0, started.stderr)
        uri_file = os.path.join(self.state, "uri")
        if not os.path.exists(uri_file):
            raise unittest.SkipTest("no PostgreSQL server binaries: " + started.stderr.strip())
        if not os.path.exists(os.path.join(self.state, "dir")):
            raise unittest.SkipTest("TRADESTORE_TEST_PG_URI names a server this test cannot stop")
        with open(uri_file) as f:
            self.uri = f.read().strip()
        bindir_file = os.path.join(self.state, "bindir")
        with open(bindir_file) as f:
            self.psql = os.path.join(f.read().strip(), "psql")

    def pg(self, command):
        result = subprocess.run([PG_SCRIPT, command, self.state], capture_output=True, text=True,
                                timeout=120)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_consumption_pauses_while_postgresql_is_stopped_and_resumes_losing_nothing(self):
        scenario = OutageScenario(self, self.address)
        daemon = kafka_daemon(scenario.section, pg_uri=self.uri)
        self.addCleanup(daemon.cleanup)

        view = PgView(self.uri, self.psql)

        def stop_the_server():
            self.pg("pause")
            stopped_at = time.monotonic()
            scenario.outage_begun.set()
            samples = []
            while scenario.outage_goes_on(daemon, stopped_at):
                samples.append(committed(scenario.address, scenario.group, scenario.topic))
                time.sleep(0.5)
            health = daemon.client.get("/api/v1/health").json()
            self.pg("resume")
            return samples, health, view.positions(scenario.topic)

        samples, health, after = scenario.run(daemon, view, stop_the_server)
        # Nothing could be stored while the server was down: the committed offsets moved at
        # most once (an auto-commit of offsets stored before the outage) and never passed
        # what the store had recorded.
        self.assertGreaterEqual(len(samples), 4)
        self.assertLessEqual(len({tuple(sorted(s.items())) for s in samples}), 2, samples)
        for offsets in samples:
            for partition, offset in offsets.items():
                self.assertLessEqual(offset, after.get(partition, -1) + 1, (offsets, after))
        self.assertEqual(health["services"].get("postgres"), "down", health)
        self.assertEqual(health["services"].get("kafka"), "up", health)


if __name__ == "__main__":
    unittest.main()
