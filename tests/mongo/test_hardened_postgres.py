"""The hardened PostgreSQL setup end to end: tradestored writes as a role that owns nothing
(postgres-store uri), the schema belongs to an owner role (schema_owner_uri) that migrates it
and grants the writer its rights, with a retention floor of 5 days (audit_min_retention_days).
REST ingestion and mongo-audit shipping work as the writer; the shipper's store retention
(store_retention_days = 2) deletes through prune_shipped_audit only the shipped rows older than
the floor, and never a version entry (the trade history); as the writer, UPDATE and DELETE of
audit rows fail with "permission denied"."""

import os
import subprocess
import time
import unittest
import urllib.parse
import uuid

from mongo_support import (harness, mongo_daemon, require_server, scratch_database,
                           wait_shipped, wait_until)

PG_URI_FILE = os.environ.get("TRADESTORE_PG_URI_FILE", "")


def pg_server_uri(test):
    """The postgres_server fixture's URI (a superuser on the test server), or skip/fail."""
    try:
        with open(PG_URI_FILE) as f:
            return f.read().strip()
    except OSError:
        if os.environ.get("CI") == "true":
            test.fail("no PostgreSQL test server (CI=true)")
        raise unittest.SkipTest("no PostgreSQL test server")


def with_params(uri, **params):
    return uri + ("&" if "?" in uri else "?") + urllib.parse.urlencode(params)


def psql(uri, sql):
    """(exit code, output) of one statement."""
    r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", uri,
                        "-c", sql], capture_output=True, text=True, timeout=60)
    return r.returncode, (r.stdout + r.stderr).strip()


class HardenedPostgresTest(unittest.TestCase):
    def setUp(self):
        require_server(self)
        server = pg_server_uri(self)
        self.mongo = scratch_database(self)
        suffix = uuid.uuid4().hex[:10]
        self.owner, self.writer, self.schema = (f"e2e_owner_{suffix}", f"e2e_writer_{suffix}",
                                                f"e2e_hardened_{suffix}")
        for sql in (f"CREATE ROLE {self.owner} LOGIN", f"CREATE ROLE {self.writer} LOGIN",
                    f"CREATE SCHEMA {self.schema} AUTHORIZATION {self.owner}"):
            code, out = psql(server, sql)
            self.assertEqual(code, 0, out)
        self.addCleanup(psql, server, f"DROP SCHEMA {self.schema} CASCADE; "
                        f"DROP OWNED BY {self.owner}, {self.writer}; "
                        f"DROP ROLE {self.writer}; DROP ROLE {self.owner}")
        search_path = f"-csearch_path={self.schema}"
        self.owner_uri = with_params(server, user=self.owner, options=search_path)
        self.writer_uri = with_params(server, user=self.writer, options=search_path)

    def test_the_writer_ingests_ships_and_prunes_but_cannot_touch_audit_rows(self):
        store = ("[plugin.postgres-store]\n"
                 f"uri = {self.writer_uri}\n"
                 f"schema_owner_uri = {self.owner_uri}\n"
                 "audit_min_retention_days = 5\n"
                 "pool_size = 4\n")
        daemon = mongo_daemon(self, self.mongo,
                              settings="interval = 200ms\nstore_retention_days = 2\n"
                                       "retention_interval = 1s",
                              plugins=["trade-rules", "postgres-store", "rest-source",
                                       "mongo-audit"],
                              store_config=store).start()
        for i in range(6):
            r = daemon.client.post("/api/v1/trades", harness.trade(f"H{i}", 2))
            self.assertEqual(r.status, 201, r)
        for i in range(6):  # rejected: lower version
            r = daemon.client.post("/api/v1/trades", harness.trade(f"H{i}", 1))
            self.assertEqual(r.status, 400, r)
        entries = wait_shipped(self, self.mongo, daemon.client, timeout=60)
        self.assertEqual(len(entries), 12)
        self.assertEqual(psql(self.owner_uri, "SELECT current_user")[1], self.owner)
        wait_until(lambda: psql(self.owner_uri,
                                "SELECT count(*) FROM audit_log WHERE NOT shipped")[1] == "0",
                   30, "every audit row marked shipped by the writer")

        # As the writer: the audit rows cannot be changed or deleted.
        for sql in ("UPDATE audit_log SET message = 'nothing happened'",
                    "DELETE FROM audit_log", "UPDATE audit_retention SET min_age = '0'"):
            code, out = psql(self.writer_uri, sql)
            self.assertNotEqual(code, 0, sql)
            self.assertIn("permission denied", out, sql)

        # Two rejections 3 days old (inside the 5-day floor), two 6 days old (past it), and
        # two version entries 6 days old: the shipper's retention (2 days) may delete only
        # the old rejections; versions are the trades' history and stay.
        ids = [e["id"] for e in entries]
        versions, rejections = ids[:6], ids[6:]
        aged = versions[:2] + rejections[:4]
        code, out = psql(self.owner_uri,
                         "UPDATE audit_log SET \"timestamp\" = CASE "
                         f"WHEN id IN ({rejections[0]}, {rejections[1]}) "
                         "THEN now() - interval '3 days' "
                         "ELSE now() - interval '6 days' END "
                         f"WHERE id IN ({', '.join(map(str, aged))})")
        self.assertEqual(code, 0, out)
        wait_until(lambda: psql(self.owner_uri, "SELECT count(*) FROM audit_log")[1] == "10",
                   30, "the two rejections past the floor pruned")
        time.sleep(2.5)  # two more retention runs: the rows inside the floor stay
        kept = [i for i in ids if i not in (rejections[2], rejections[3])]
        self.assertEqual(psql(self.owner_uri, "SELECT string_agg(id::text, ',' ORDER BY id) "
                                              "FROM audit_log")[1],
                         ",".join(map(str, kept)))
        self.assertIn("pruned 2 shipped audit entr(ies)", daemon.read_log())


if __name__ == "__main__":
    unittest.main()
