"""mongo-audit over TLS with SCRAM credentials, against a FerretDB of the test's own that takes
nothing else (scripts/ferretdb-test-server.sh start-tls: TLS listener only, the test CA's
server certificate, --test-enable-new-auth with the user `tradestore`). The password reaches
the URI through ${ENV} and never shows in the log. A wrong CA or password fails visibly:
/health shows "mongodb": "down", the log says why, the backlog waits in the store."""

import os
import unittest

from mongo_support import (FerretServer, Mongo, mongo_daemon, require_server, store_audit,
                           wait_shipped, wait_until, harness)

PASSWORD_ENV = "TRADESTORE_TEST_MONGO_PASSWORD"


class TlsScramTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.environ.get("TRADESTORE_TEST_MONGO_URI"):
            raise unittest.SkipTest("TRADESTORE_TEST_MONGO_URI names an outside server; the TLS "
                                    "test needs a FerretDB of its own")
        cls.server = None

    def setUp(self):
        require_server(self)  # the fixture's FerretDB: the binary is built
        if TlsScramTest.server is None:
            TlsScramTest.server = FerretServer(tls=True)

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None:
            cls.server.cleanup()

    def uri(self, password_ref, ca="ca.pem"):
        """The server's URI with credentials, the password given as `password_ref` (a
        ${ENV} reference for the daemon's config), and the CA file `ca`."""
        base = self.server.uri.replace(os.path.join(self.server.certs, "ca.pem"),
                                       os.path.join(self.server.certs, ca))
        return base.replace("mongodb://", f"mongodb://tradestore:{password_ref}@", 1)

    def daemon_with(self, password, ca="ca.pem"):
        os.environ[PASSWORD_ENV] = password
        database = "tradestore_tls_" + os.urandom(5).hex()
        mongo = Mongo(self.uri(self.server.password), database)  # the test's own reader
        daemon = mongo_daemon(self, mongo, uri=self.uri("${" + PASSWORD_ENV + "}", ca)).start()
        for i in range(5):
            r = daemon.client.post("/api/v1/trades", harness.trade(f"TLS{i}", 1))
            self.assertEqual(r.status, 201, r)
        return daemon, mongo

    def mongodb_health(self, daemon):
        return daemon.client.get("/api/v1/health").json()["services"].get("mongodb")

    def test_ships_over_tls_with_scram_credentials(self):
        daemon, mongo = self.daemon_with(self.server.password)
        entries = wait_shipped(self, mongo, daemon.client, timeout=60)
        self.assertEqual(len(entries), 5)
        self.assertEqual(sorted(d["trade_id"] for d in mongo.find("audit_logs")),
                         [f"TLS{i}" for i in range(5)])
        self.assertEqual(self.mongodb_health(daemon), "up")
        daemon.stop()
        self.assertNotIn(self.server.password, daemon.read_log())

    def test_the_server_refuses_a_client_without_credentials(self):
        # The positive control of the negative tests below: the server really requires SCRAM.
        anonymous = Mongo(self.server.uri, "tradestore_tls_anonymous")
        with self.assertRaisesRegex(AssertionError, "requires authentication"):
            anonymous.count("audit_logs")

    def check_fails_visibly(self, daemon, reason):
        wait_until(lambda: self.mongodb_health(daemon) == "down", 30, "mongodb down in /health")
        wait_until(lambda: reason in daemon.read_log(), 30, f"'{reason}' in the log")
        # Nothing was lost: the entries wait in the store's outbox.
        self.assertEqual(len(store_audit(daemon.client)), 5)

    def test_an_unrelated_ca_fails_visibly(self):
        daemon, mongo = self.daemon_with(self.server.password, ca="other-ca.pem")
        self.check_fails_visibly(daemon, "certificate verify failed")
        self.assertEqual(mongo.count("audit_logs"), 0)

    def test_a_wrong_password_fails_visibly(self):
        daemon, mongo = self.daemon_with("not-the-password")
        self.check_fails_visibly(daemon, "Authentication failed")
        self.assertEqual(mongo.count("audit_logs"), 0)
        self.assertNotIn("not-the-password", daemon.read_log())


if __name__ == "__main__":
    unittest.main()
