"""Several daemons on one PostgreSQL database, and a database that goes away: run only on the
postgres store (TRADESTORE_E2E_STORE=postgres)."""

import os
import random
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
from urllib.parse import urlsplit, urlunsplit

import harness
from harness import Client, Daemon, trade


def psql(uri, sql):
    return subprocess.run(["psql", uri, "-tAc", sql], capture_output=True, text=True, check=True).stdout.strip()


@unittest.skipUnless(harness.STORE == "postgres", "runs on the postgres store only")
class TwoDaemonsOneDatabaseTest(unittest.TestCase):
    def setUp(self):
        self.shared = tempfile.mkdtemp(prefix="tradestore-shared-")
        self.addCleanup(shutil.rmtree, self.shared, True)
        self.uri = harness.postgres_database_uri(self.shared)

    def daemon(self, **kw):
        d = Daemon(data_dir=self.shared, **kw)
        self.addCleanup(d.cleanup)
        return d

    def test_shuffled_versions_from_two_daemons_end_at_the_highest(self):
        ids, versions = 500, 50
        daemons = [self.daemon().start(), self.daemon().start()]
        statuses = {}
        lock = threading.Lock()

        def send(daemon, work):
            client = Client(daemon.port)
            for trade_id, version in work:
                r = client.post("/api/v1/trades", trade(trade_id, version))
                with lock:
                    statuses[r.status] = statuses.get(r.status, 0) + 1
            client.close()

        threads = []
        for index, daemon in enumerate(daemons):
            work = [(f"DUO-{i}", v) for i in range(ids) for v in range(1, versions + 1)]
            random.Random(index).shuffle(work)
            for part in range(3):
                threads.append(threading.Thread(target=send, args=(daemon, work[part::3])))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(set(statuses) - {201, 400}, set(), statuses)

        self.assertEqual(psql(self.uri, "SELECT count(*) FROM trades WHERE version = 50"), str(ids))
        self.assertEqual(psql(self.uri, "SELECT count(*) FROM trades"), str(ids))
        # Exactly one audit entry per request, and exactly one CREATE per id.
        self.assertEqual(psql(self.uri, "SELECT count(*) FROM audit_log"), str(2 * ids * versions))
        self.assertEqual(psql(self.uri, "SELECT count(*) FROM audit_log WHERE action = 'CREATE'"), str(ids))
        for d in daemons:
            self.assertEqual(d.stop(), 0, d.read_log())

    def test_expiry_runs_once_per_period_across_instances(self):
        d = self.daemon().start()
        for i in range(7):
            d.client.post("/api/v1/trades", trade(f"EXPDUO-{i}", maturity="2026-11-24"))
        d.stop()
        jobs = "[plugin.expiry-scheduler]\ninterval = 1s\nrun_at_start = true\n"
        pair = [self.daemon(business_date="2026-11-25", sections=jobs) for _ in range(2)]
        started = time.monotonic()
        for x in pair:
            x.start()
        time.sleep(4)
        for x in pair:
            self.assertEqual(x.stop(), 0)
        elapsed = time.monotonic() - started
        runs = [int(n) for x in pair for n in re.findall(r"expiry run \(job\) marked (\d+) trade", x.read_log())]
        self.assertEqual(sum(runs), 7, runs)
        self.assertEqual(len([n for n in runs if n > 0]), 1, runs)
        # One run per one-second period in all, not one per instance.
        self.assertLessEqual(len(runs), int(elapsed) + 2, runs)
        self.assertGreaterEqual(len(runs), 2, runs)


@unittest.skipUnless(harness.STORE == "postgres", "runs on the postgres store only")
class DatabaseRestartTest(unittest.TestCase):
    def test_posts_during_a_database_restart_are_201_or_503_and_nothing_acknowledged_is_lost(self):
        script = os.environ["TRADESTORE_PG_SCRIPT"]
        state = tempfile.mkdtemp(prefix="tradestore-pg-private-")
        self.addCleanup(shutil.rmtree, state, True)  # runs last: cleanups run in reverse
        env = {k: v for k, v in os.environ.items() if k != "TRADESTORE_TEST_PG_URI"}
        subprocess.run([script, "start", state], check=True, env=env, capture_output=True)
        self.addCleanup(subprocess.run, [script, "stop", state], env=env, capture_output=True)
        with open(os.path.join(state, "uri")) as f:
            uri = f.read().strip()
        # A request whose COMMIT the restart cuts waits up to commit_outcome_timeout to learn
        # whether it committed; shorter than the outage, so the clients see it as 503s.
        d = Daemon(store_config=f"[plugin.postgres-store]\nuri = {uri}\nconnect_timeout = 1s\n"
                                "commit_outcome_timeout = 1s\n")
        self.addCleanup(d.cleanup)
        d.start()

        accepted, statuses = [], {}
        stop = threading.Event()

        def stream():
            client = Client(d.port)
            i = 0
            while not stop.is_set():
                r = client.post("/api/v1/trades", trade(f"PGR-{i}"))
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status == 201:
                    accepted.append(f"PGR-{i}")
                elif r.status == 503:
                    self.assertIn("retry-after", r.headers)
                i += 1
                time.sleep(0.002)
            client.close()

        streamer = threading.Thread(target=stream)
        streamer.start()
        time.sleep(1)
        subprocess.run([script, "pause", state], check=True, env=env, capture_output=True)
        time.sleep(2)
        health = d.client.get("/api/v1/health").json()
        self.assertEqual(health["services"]["postgres"], "down")
        subprocess.run([script, "resume", state], check=True, env=env, capture_output=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and d.client.get("/api/v1/health").json()["services"]["postgres"] != "up":
            time.sleep(0.1)
        time.sleep(1)
        stop.set()
        streamer.join()

        self.assertEqual(set(statuses) - {201, 503}, set(), statuses)
        self.assertGreater(statuses.get(503, 0), 0, "the outage was not seen")
        self.assertGreater(statuses.get(201, 0), 0)
        # Recovered without a restart: new requests are accepted again.
        self.assertEqual(d.client.post("/api/v1/trades", trade("PGR-after")).status, 201)
        stored = set(psql(uri, "SELECT trade_id FROM trades").split())
        self.assertEqual([t for t in accepted if t not in stored], [])
        self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
