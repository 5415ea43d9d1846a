"""Idempotency-Key on POST /trades and POST /trades/batch against the real daemon (on SQLite,
and on PostgreSQL under e2e-postgres): a retry gets the first answer again and decides nothing,
a reuse of the key for another request gets 422 and stores nothing, concurrent retries get one
decision, and keys survive a restart until they expire and are pruned."""

import json
import os
import sqlite3
import subprocess
import threading
import time
import unittest

from harness import STORE, Client, Daemon, postgres_database_uri, trade

TRADES = "/api/v1/trades"
BATCH = "/api/v1/trades/batch"


def audit_count(client, trade_id):
    r = client.get(f"/api/v1/audit-logs?trade_id={trade_id}&limit=1000")
    assert r.status == 200, r
    return len(r.json()["logs"])


def stored_keys(daemon):
    """Rows of the store's idempotency_keys table, read from the database itself."""
    if STORE == "postgres":
        out = subprocess.run(["psql", postgres_database_uri(daemon.data_dir), "-tAc",
                              "SELECT count(*) FROM idempotency_keys"],
                             capture_output=True, text=True, check=True).stdout
        return int(out.strip())
    with sqlite3.connect(os.path.join(daemon.data_dir, "trades.db")) as db:
        return db.execute("SELECT count(*) FROM idempotency_keys").fetchone()[0]


class IdempotencyKeyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()
        cls.client = cls.daemon.client

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop_cleanly()

    def post(self, path, body, key, client=None):
        return (client or self.client).post(path, body, headers={"Idempotency-Key": key})

    def test_a_retry_gets_the_first_answer_and_decides_nothing(self):
        first = self.post(TRADES, trade("IK-1", 3), "key-ik-1")
        self.assertEqual(first.status, 201, first)
        self.assertNotIn("idempotent-replayed", first.headers)
        again = self.post(TRADES, trade("IK-1", 3), "key-ik-1")
        self.assertEqual(again.status, 201, again)
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(again.body, first.body)
        self.assertEqual(audit_count(self.client, "IK-1"), 1)
        # The same request without the key is decided again ("the same version replaces").
        self.assertEqual(self.client.post(TRADES, trade("IK-1", 3)).status, 201)
        self.assertEqual(audit_count(self.client, "IK-1"), 2)

    def test_a_rejected_answer_is_replayed_too(self):
        self.assertEqual(self.client.post(TRADES, trade("IK-REJ", 5)).status, 201)
        first = self.post(TRADES, trade("IK-REJ", 4), "key-ik-rej")
        self.assertEqual(first.status, 400, first)
        again = self.post(TRADES, trade("IK-REJ", 4), "key-ik-rej")
        self.assertEqual((again.status, again.body), (400, first.body))
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(audit_count(self.client, "IK-REJ"), 2)  # the create and one rejection

    def test_a_batch_retry_gets_the_first_answer(self):
        items = [trade("IKB-1"), {"trade_id": "IKB-BAD"}, trade("IKB-2", 2)]
        first = self.post(BATCH, items, "key-ikb")
        self.assertEqual(first.status, 200, first)
        again = self.post(BATCH, items, "key-ikb")
        self.assertEqual((again.status, again.body), (200, first.body))
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(audit_count(self.client, "IKB-1"), 1)
        self.assertEqual(audit_count(self.client, "IKB-2"), 1)

    def test_the_key_reused_for_another_request_gets_422_and_stores_nothing(self):
        self.assertEqual(self.post(TRADES, trade("IK-R1"), "key-reused").status, 201)
        other = self.post(TRADES, trade("IK-R2"), "key-reused")
        self.assertEqual(other.status, 422, other)
        self.assertIn("different request", other.json()["detail"])
        self.assertEqual(self.client.get(f"{TRADES}/IK-R2").status, 404)
        self.assertEqual(audit_count(self.client, "IK-R2"), 0)
        # Another path is another request, too.
        self.assertEqual(self.post(BATCH, [trade("IK-R1")], "key-reused").status, 422)
        self.assertEqual(audit_count(self.client, "IK-R1"), 1)

    def test_malformed_keys_are_refused(self):
        for key in ["", "x" * 256, "caf\u00e9", "tab\there"]:
            r = self.post(TRADES, trade("IK-BADKEY"), key)
            self.assertEqual(r.status, 400, (key, r))
            self.assertIn("Idempotency-Key", r.json()["detail"])
        self.assertEqual(self.client.get(f"{TRADES}/IK-BADKEY").status, 404)
        longest = "~" * 255
        self.assertEqual(self.post(TRADES, trade("IK-LONG"), longest).status, 201)

    def test_concurrent_requests_with_one_key_are_decided_once(self):
        clients = [Client(self.daemon.port) for _ in range(8)]
        start = threading.Barrier(len(clients))
        answers = [None] * len(clients)

        def send(i):
            start.wait()
            answers[i] = self.post(TRADES, trade("IK-RACE", 7), "key-race", clients[i])

        threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in clients:
            c.close()
        decided = [a for a in answers if a.status == 201 and "idempotent-replayed" not in a.headers]
        replayed = [a for a in answers if a.status == 201 and "idempotent-replayed" in a.headers]
        in_flight = [a for a in answers if a.status == 409]
        self.assertEqual(len(decided), 1, answers)
        self.assertEqual(len(decided) + len(replayed) + len(in_flight), len(answers), answers)
        for a in replayed:
            self.assertEqual(a.body, decided[0].body)
        for a in in_flight:
            self.assertIn("in flight", a.json()["detail"])
        self.assertEqual(audit_count(self.client, "IK-RACE"), 1)
        # Once the first has finished, a retry is answered from the store.
        late = self.post(TRADES, trade("IK-RACE", 7), "key-race")
        self.assertEqual((late.status, late.body), (201, decided[0].body))


class TwoDaemonsOneStoreTest(unittest.TestCase):
    """Two daemons on one database race on one key: the store orders their claims, so the
    request is decided once and the loser answers with the winner's answer or 409, never 500."""

    def setUp(self):
        self.first = Daemon()
        self.second = Daemon(data_dir=self.first.data_dir)
        for d in (self.first, self.second):
            self.addCleanup(d.cleanup)  # cleanups run last added first: stop, then clean up
            self.addCleanup(d.stop)
            d.start()

    def test_one_key_raced_across_daemons_is_decided_once(self):
        for round_ in range(5):
            trade_id = f"IK-TWO-{round_}"
            clients = [Client(d.port) for d in (self.first, self.second) for _ in range(3)]
            start = threading.Barrier(len(clients))
            answers = [None] * len(clients)

            def send(i):
                start.wait()
                answers[i] = clients[i].post(TRADES, trade(trade_id),
                                             headers={"Idempotency-Key": f"two-{round_}"})

            threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for c in clients:
                c.close()
            decided = [a for a in answers
                       if a.status == 201 and "idempotent-replayed" not in a.headers]
            self.assertEqual(len(decided), 1, answers)
            for a in answers:
                self.assertIn(a.status, (201, 409), answers)
                if a.status == 201:
                    self.assertEqual(a.body, decided[0].body)
            self.assertEqual(audit_count(self.first.client, trade_id), 1)


class IdempotencyKeyLifetimeTest(unittest.TestCase):
    def setUp(self):
        self.dir_owner = Daemon()
        self.data_dir = self.dir_owner.dir

    def tearDown(self):
        self.dir_owner.cleanup()

    def daemon(self, rest_settings=""):
        d = Daemon(data_dir=self.data_dir, rest_settings=rest_settings)
        self.addCleanup(d.cleanup)
        return d.start()

    def test_a_key_survives_a_restart(self):
        d = self.daemon()
        first = d.client.post(TRADES, trade("IK-RESTART"), headers={"Idempotency-Key": "k-restart"})
        self.assertEqual(first.status, 201, first)
        self.assertEqual(d.stop(), 0)
        d = self.daemon()
        again = d.client.post(TRADES, trade("IK-RESTART"), headers={"Idempotency-Key": "k-restart"})
        self.assertEqual((again.status, again.body), (201, first.body))
        self.assertEqual(again.headers.get("idempotent-replayed"), "true")
        self.assertEqual(audit_count(d.client, "IK-RESTART"), 1)
        d.stop()

    def test_expired_keys_are_pruned_and_the_key_is_free_again(self):
        d = self.daemon("idempotency_ttl = 2s\nidempotency_prune_interval = 1s\n")
        r = d.client.post(TRADES, trade("IK-TTL-1"), headers={"Idempotency-Key": "k-ttl"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(stored_keys(d), 1)
        deadline = time.monotonic() + 20
        while stored_keys(d) != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(stored_keys(d), 0, "the prune job deleted the expired key")
        self.assertIn("pruned 1 expired idempotency key(s)", d.read_log())
        r = d.client.post(TRADES, trade("IK-TTL-2"), headers={"Idempotency-Key": "k-ttl"})
        self.assertEqual(r.status, 201, r)
        self.assertNotIn("idempotent-replayed", r.headers)
        d.stop()


if __name__ == "__main__":
    unittest.main()
