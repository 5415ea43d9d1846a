"""kafka-source over SASL_SSL with SCRAM-SHA-512, against the test broker's second listener
(scripts/kafka-test-broker.sh: the test CA's server certificate, user `tradestore`). The topics
are written and read back through the broker's PLAINTEXT listener; the daemon reaches the
broker only through SASL_SSL, so its consumer and its dead-letter producer both have to use the
security settings. The password comes from the environment (${ENV} in the config) and never
shows in the log. A wrong password or an unrelated CA fails visibly: /health says kafka down,
the log says why, nothing is consumed."""

import os
import time
import unittest

from kafka_harness import (BOOTSTRAP_FILE, StoreView, brokers, consume, create_topic,
                           end_offsets, kafka_daemon, kafka_section, produce, trade_body, unique)

PASSWORD_ENV = "TRADESTORE_TEST_KAFKA_SASL_PASSWORD"


def sasl_listener():
    """(address, password, certificate folder) of the SASL_SSL listener, or skip."""
    brokers()  # skips (or fails in CI) without any broker
    state = os.path.dirname(BOOTSTRAP_FILE)
    bootstrap = os.path.join(state, "sasl_bootstrap")
    if os.environ.get("TRADESTORE_TEST_KAFKA_BROKERS") or not os.path.exists(bootstrap):
        raise unittest.SkipTest("the broker named by TRADESTORE_TEST_KAFKA_BROKERS has no "
                                "SASL_SSL listener known to the tests")
    with open(bootstrap) as f:
        address = f.read().strip()
    with open(os.path.join(state, "sasl_password")) as f:
        password = f.read().strip()
    return address, password, os.path.join(state, "certs")


def security(certs, ca="ca.pem"):
    return ("kafka.security.protocol = SASL_SSL\n"
            "kafka.sasl.mechanisms = SCRAM-SHA-512\n"
            "kafka.sasl.username = tradestore\n"
            f"kafka.sasl.password = ${{{PASSWORD_ENV}}}\n"
            f"kafka.ssl.ca.location = {os.path.join(certs, ca)}\n")


class SaslSslTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plain = brokers()
        cls.address, cls.password, cls.certs = sasl_listener()

    def start_daemon(self, password, ca="ca.pem"):
        """A daemon reading a fresh topic (2 trades, 1 bad message) through SASL_SSL."""
        topic = unique("sasl")
        create_topic(self.plain, topic, 1)
        produce(self.plain, topic, [
            {"key": "S1", "value": trade_body("S1", 1), "headers": []},
            {"key": "S2", "value": trade_body("S2", 1), "headers": []},
            {"key": "S3", "value": "{not json", "headers": [["seq", "3"]]},
        ])
        os.environ[PASSWORD_ENV] = password
        daemon = kafka_daemon(kafka_section(self.address, topic, unique("sasl-group"),
                                            topic + ".dlq", extra=security(self.certs, ca)))
        self.addCleanup(daemon.cleanup)
        daemon.start()
        self.addCleanup(daemon.stop)
        return daemon, topic

    def health_of(self, daemon):
        return daemon.client.get("/api/v1/health").json()["services"]

    def wait_for_kafka(self, daemon, state, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            services = self.health_of(daemon)
            if services.get("kafka") == state:
                return services
            time.sleep(0.2)
        self.fail(f"/health never showed kafka {state}: {services}\n{daemon.read_log()[-3000:]}")

    def test_consumes_and_dead_letters_over_sasl_ssl(self):
        daemon, topic = self.start_daemon(self.password)
        messages = consume(self.plain, topic)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        view.wait_for(topic, end_offsets(messages), timeout=60, daemons=[daemon])
        self.assertEqual(set(view.trades()), {"S1", "S2"})
        self.wait_for_kafka(daemon, "up")
        # The dead-letter producer went through SASL_SSL too: the only way in for the daemon.
        dead = consume(self.plain, topic + ".dlq", timeout_ms=30000)
        self.assertEqual([(m["key"], m["value"]) for m in dead], [("S3", "{not json")])
        daemon.stop()
        self.assertNotIn(self.password, daemon.read_log())

    def test_a_wrong_password_fails_visibly(self):
        daemon, topic = self.start_daemon("not-the-password")
        services = self.wait_for_kafka(daemon, "down")
        self.assertEqual(services.get("kafka"), "down")
        deadline = time.monotonic() + 30
        while "Authentication" not in daemon.read_log() and time.monotonic() < deadline:
            time.sleep(0.2)
        log = daemon.read_log()
        self.assertIn("SASL authentication error", log)
        self.assertNotIn("not-the-password", log)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        self.assertEqual(view.trades(), {})

    def test_an_unrelated_ca_fails_visibly(self):
        daemon, topic = self.start_daemon(self.password, ca="other-ca.pem")
        self.wait_for_kafka(daemon, "down")
        deadline = time.monotonic() + 30
        while "certificate verify failed" not in daemon.read_log() and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertIn("certificate verify failed", daemon.read_log())
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        self.assertEqual(view.trades(), {})


if __name__ == "__main__":
    unittest.main()
