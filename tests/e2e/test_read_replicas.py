"""Read replicas over HTTP: tradestored on the postgres_replica fixture's primary (uri) and hot
standby (read_uri). Write answers carry X-Min-LSN, reads go to the replica, a read carrying the
header sees its write, a lagging replica leaves the rotation (503 with read_fallback = false),
and a stopped replica costs no failed read. Each test has a database of its own, created on
the primary (it replicates to the standby)."""

import http.client
import os
import re
import subprocess
import threading
import unittest
import uuid
from urllib.parse import urlsplit, urlunsplit

from harness import IN_CI, Client, Daemon, eventually, trade

PRIMARY_DIR = os.environ.get("TRADESTORE_PG_REPLICA_PRIMARY_DIR", "")
STANDBY_DIR = os.environ.get("TRADESTORE_PG_REPLICA_STANDBY_DIR", "")
SCRIPT = os.environ.get("TRADESTORE_PG_SCRIPT", "")
LSN = re.compile(r"^[0-9A-F]+/[0-9A-F]+$")
PLUGINS = ["trade-rules", "postgres-store", "rest-source"]


def lsn_value(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def read_state(state_dir, name):
    try:
        with open(os.path.join(state_dir, name)) as f:
            return f.read().strip()
    except OSError:
        return ""


def with_database(uri, name):
    return urlunsplit(urlsplit(uri)._replace(path="/" + name))


def metric(text, name, labels):
    """The value of the sample `name{labels}` in a /metrics text, or None."""
    for line in text.splitlines():
        if line.startswith(f"{name}{{") and labels in line.split("}", 1)[0]:
            return float(line.rsplit(" ", 1)[1])
    return None


class ReplicaTestCase(unittest.TestCase):
    """A database of its own on the fixture's primary, seen on its standby; helpers to pause
    the standby's replay and to start daemons on the pair."""

    def setUp(self):
        self.primary = read_state(PRIMARY_DIR, "uri")
        self.standby = read_state(STANDBY_DIR, "uri")
        if not self.primary or not self.standby:
            message = ("no primary and standby from the postgres_replica fixture "
                       f"({PRIMARY_DIR}/uri, {STANDBY_DIR}/uri)")
            if IN_CI:
                self.fail(message)
            self.skipTest(message)
        bindir = read_state(PRIMARY_DIR, "bindir")
        self.psql_program = os.path.join(bindir, "psql") if bindir else "psql"
        self.name = "rr_" + uuid.uuid4().hex[:16]
        admin = with_database(self.primary, "postgres")
        self.psql(admin, f"CREATE DATABASE {self.name}")
        # Cleanups run in reverse: the database goes after the daemons and the resumed replay.
        self.addCleanup(self.psql, admin, f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        self.primary_db = with_database(self.primary, self.name)
        self.standby_db = with_database(self.standby, self.name)
        self.standby_admin = with_database(self.standby, "postgres")
        self.psql(self.standby_admin, "SELECT pg_wal_replay_resume()")  # a left-over pause
        self.catch_up()
        self.standby_name = "127.0.0.1:" + urlsplit(self.standby).netloc.rsplit(":", 1)[1]

    def psql(self, uri, sql):
        return subprocess.run([self.psql_program, "-X", uri, "-tAc", sql], capture_output=True,
                              text=True, check=True).stdout.strip()

    def replayed(self):
        return self.psql(self.standby_admin, "SELECT pg_last_wal_replay_lsn()")

    def wait_replayed(self, lsn):
        eventually(lambda: lsn_value(self.replayed()) >= lsn_value(lsn), f"the standby to replay {lsn}")

    def catch_up(self):
        """Waits until the standby has replayed everything the primary has written so far."""
        self.wait_replayed(self.psql(with_database(self.primary, "postgres"),
                                     "SELECT pg_current_wal_lsn()"))

    def pause_replay(self):
        self.addCleanup(self.psql, self.standby_admin, "SELECT pg_wal_replay_resume()")
        self.psql(self.standby_admin, "SELECT pg_wal_replay_pause()")

    def resume_replay(self):
        self.psql(self.standby_admin, "SELECT pg_wal_replay_resume()")

    def daemon(self, replicas=True, max_lag="1h", fallback=True):
        config = (f"[plugin.postgres-store]\nuri = {self.primary_db}\npool_size = 4\n"
                  "replica_check_interval = 100ms\n")
        if replicas:
            config += (f"read_uri = {self.standby_db}\nmax_replica_lag = {max_lag}\n"
                       f"read_fallback = {'true' if fallback else 'false'}\n")
        d = Daemon(plugins=PLUGINS, store_config=config)
        self.addCleanup(self.stop_daemon, d)
        return d.start()

    def stop_daemon(self, d):
        code = d.stop()
        log = d.read_log()
        d.cleanup()
        self.assertEqual(code, 0, log[-3000:])

    def health(self, d):
        return d.client.get("/api/v1/health").json()["services"]

    def replica_health(self, d):
        return self.health(d).get(f"replica {self.standby_name}")

    def wait_health(self, d, state):
        try:
            eventually(lambda: self.replica_health(d) == state, f"the replica to be {state}")
        except AssertionError as e:
            raise AssertionError(f"{e}; health now: {self.health(d)}") from None

    def write(self, d, body, path="/api/v1/trades", expected=201):
        r = d.client.post(path, body)
        self.assertEqual(r.status, expected, r)
        return r

    def version(self, d, trade_id, headers=None):
        r = d.client.get(f"/api/v1/trades/{trade_id}", headers=headers)
        self.assertEqual(r.status, 200, r)
        return r.json()["version"]


class WriteAnswersTest(ReplicaTestCase):
    def test_every_write_answer_names_its_commit_and_the_positions_increase(self):
        d = self.daemon()
        answers = [self.write(d, trade("LSN-1")),
                   self.write(d, trade("LSN-1", 2)),
                   self.write(d, [trade("LSN-2"), trade("LSN-3")], "/api/v1/trades/batch", 200),
                   d.client.delete("/api/v1/trades/LSN-2")]
        self.assertEqual(answers[-1].status, 200, answers[-1])
        positions = []
        for r in answers:
            self.assertIn("x-min-lsn", r.headers, r.headers)
            self.assertRegex(r.headers["x-min-lsn"], LSN)
            positions.append(lsn_value(r.headers["x-min-lsn"]))
        # Strictly increasing: each write commits after the one before.
        self.assertEqual(positions, sorted(set(positions)),
                         [r.headers["x-min-lsn"] for r in answers])
        # Not past the primary's position: it is a commit of this server.
        now = lsn_value(self.psql(self.primary_db, "SELECT pg_current_wal_lsn()"))
        self.assertLessEqual(positions[-1], now)

    def test_without_read_uri_no_write_answer_carries_it(self):
        d = self.daemon(replicas=False)
        answers = [self.write(d, trade("PLAIN-1")),
                   self.write(d, [trade("PLAIN-2")], "/api/v1/trades/batch", 200),
                   d.client.delete("/api/v1/trades/PLAIN-1")]
        self.assertEqual(answers[-1].status, 200, answers[-1])
        for r in answers:
            self.assertNotIn("x-min-lsn", r.headers, r.headers)


class ReadYourWritesTest(ReplicaTestCase):
    def test_a_read_with_the_write_answers_header_sees_the_write_the_stale_replica_does_not(self):
        d = self.daemon(max_lag="1h")  # the paused replica stays in rotation
        first = self.write(d, trade("RYW-1", 1, book="RYW-BOOK"))
        self.catch_up()
        self.pause_replay()
        second = self.write(d, trade("RYW-1", 2, book="RYW-BOOK"))
        floor = {"X-Min-LSN": second.headers["x-min-lsn"]}

        # Without the header the replica answers, and it has not replayed version 2.
        for _ in range(3):
            self.assertEqual(self.version(d, "RYW-1"), 1)
        book = d.client.get("/api/v1/trades/book/RYW-BOOK")
        self.assertEqual([t["version"] for t in book.json()], [1], book)
        self.assertEqual(self.replica_health(d), "up")
        # With it, the answer includes the write.
        for _ in range(3):
            self.assertEqual(self.version(d, "RYW-1", floor), 2)
        book = d.client.get("/api/v1/trades/book/RYW-BOOK", headers=floor)
        self.assertEqual([t["version"] for t in book.json()], [2], book)
        # An older position is no floor to this write: the replica answers again.
        older = {"X-Min-LSN": first.headers["x-min-lsn"]}
        self.assertEqual(self.version(d, "RYW-1", older), 1)

        self.resume_replay()
        self.wait_replayed(second.headers["x-min-lsn"])
        self.assertEqual(self.version(d, "RYW-1"), 2)


class MalformedHeaderTest(ReplicaTestCase):
    def test_a_malformed_position_gets_400_without_a_read(self):
        d = self.daemon()
        self.write(d, trade("BAD-1"))
        self.catch_up()
        self.assertEqual(self.version(d, "BAD-1"), 1)  # the read counters exist

        def reads():
            text = d.client.get("/metrics").body.decode()
            return sum(metric(text, "tradestore_postgres_reads_total", f'server="{server}"') or 0
                       for server in ("replica", "primary"))

        before = reads()
        for value in ("abc", "1/", "0/XYZ", "", "/0", "0/123456789", "G/0"):
            for path in ("/api/v1/trades/BAD-1", "/api/v1/trades", "/api/v1/trades/book/B1"):
                r = d.client.get(path, headers={"X-Min-LSN": value})
                self.assertEqual(r.status, 400, (value, path, r))
                self.assertIn("X-Min-LSN", r.json()["detail"], r)
        self.assertEqual(reads(), before, "a refused request read from the store")
        r = d.client.get("/api/v1/trades/BAD-1", headers={"X-Min-LSN": "0/16b3748"})
        self.assertEqual(r.status, 200, r)

    def test_a_valid_position_on_a_daemon_without_replicas_is_accepted(self):
        d = self.daemon(replicas=False)
        self.write(d, trade("NOREP-1"))
        for value in ("0/16B3748", "FFFFFFFF/FFFFFFFF", "0/0"):
            r = d.client.get("/api/v1/trades/NOREP-1", headers={"X-Min-LSN": value})
            self.assertEqual(r.status, 200, (value, r))
            self.assertEqual(r.json()["version"], 1, value)
        r = d.client.get("/api/v1/trades/NOREP-1", headers={"X-Min-LSN": "0/XYZ"})
        self.assertEqual(r.status, 400, r)


class VisibilityTest(ReplicaTestCase):
    def test_health_and_metrics_show_the_replica_and_the_reads_it_serves(self):
        d = self.daemon()
        self.write(d, trade("VIS-1"))
        self.catch_up()
        self.wait_health(d, "up")
        services = self.health(d)
        self.assertGreaterEqual(float(services[f"replica {self.standby_name} lag_seconds"]), 0)

        label = f'replica="{self.standby_name}"'
        text = d.client.get("/metrics").body.decode()
        self.assertIsNotNone(metric(text, "tradestore_postgres_replica_lag_seconds", label), text)
        self.assertEqual(metric(text, "tradestore_postgres_replica_in_rotation", label), 1, text)
        before = metric(text, "tradestore_postgres_reads_total", 'server="replica"') or 0
        for _ in range(5):
            self.version(d, "VIS-1")
        text = d.client.get("/metrics").body.decode()
        self.assertGreaterEqual(metric(text, "tradestore_postgres_reads_total", 'server="replica"'),
                                before + 5, text)


class LaggingReplicaTest(ReplicaTestCase):
    def test_without_fallback_a_lagging_replica_answers_503_until_it_catches_up(self):
        d = self.daemon(max_lag="500ms", fallback=False)
        self.write(d, trade("LAG-1"))
        self.catch_up()
        self.wait_health(d, "up")
        self.assertEqual(self.version(d, "LAG-1"), 1)
        self.pause_replay()
        second = self.write(d, trade("LAG-1", 2))
        self.wait_health(d, "lagging")
        r = d.client.get("/api/v1/trades/LAG-1")
        self.assertEqual(r.status, 503, r)
        self.assertIn("retry-after", r.headers, r.headers)
        # Nor may a read that asks for the write fall back to the primary.
        r = d.client.get("/api/v1/trades/LAG-1", headers={"X-Min-LSN": second.headers["x-min-lsn"]})
        self.assertEqual(r.status, 503, r)

        self.resume_replay()
        self.wait_health(d, "up")
        self.assertEqual(self.version(d, "LAG-1"), 2)


class StoppedReplicaTest(ReplicaTestCase):
    def test_reads_under_load_while_the_standby_stops_and_starts_are_all_answered(self):
        d = self.daemon()
        self.write(d, trade("STOP-1", book="STOP-BOOK"))
        self.catch_up()
        self.wait_health(d, "up")
        statuses, stop = {}, threading.Event()

        def read():
            client = Client(d.port)
            paths = ("/api/v1/trades/STOP-1", "/api/v1/trades/book/STOP-BOOK")
            i = 0
            while not stop.is_set():
                try:
                    status = client.get(paths[i % 2]).status
                except (OSError, http.client.HTTPException) as e:  # counted, not fatal
                    status = repr(e)
                statuses[status] = statuses.get(status, 0) + 1
                i += 1
            client.close()

        reader = threading.Thread(target=read)
        reader.start()
        self.addCleanup(reader.join)
        self.addCleanup(stop.set)

        def replica_reads():
            text = d.client.get("/metrics").body.decode()
            return metric(text, "tradestore_postgres_reads_total", 'server="replica"') or 0

        eventually(lambda: replica_reads() > 20, "reads on the replica")
        stopped = {"now": False}

        def resume():
            if stopped["now"]:
                subprocess.run([SCRIPT, "resume", STANDBY_DIR], check=True, capture_output=True)
                stopped["now"] = False

        self.addCleanup(resume)
        subprocess.run([SCRIPT, "pause", STANDBY_DIR], check=True, capture_output=True)
        stopped["now"] = True
        self.wait_health(d, "down")
        served = sum(statuses.values())
        eventually(lambda: sum(statuses.values()) > served + 50, "reads while the replica is down")
        resume()
        self.wait_health(d, "up")
        back = replica_reads()
        eventually(lambda: replica_reads() > back + 20, "reads on the replica again")
        stop.set()
        reader.join()

        self.assertEqual(set(statuses), {200}, statuses)
        self.assertGreater(statuses[200], 100, statuses)


if __name__ == "__main__":
    unittest.main()
