"""/health/ready answers for what [kernel] readiness names: by default the store and the REST
API, so a Kafka outage (here: no broker listening where `brokers` points) leaves the REST API
in the load balancer while /health and the metrics still show Kafka down."""

import time
import unittest

from harness import Daemon, free_port, run_tradestored

PLUGINS = ["trade-rules", "sqlite-store", "rest-source", "kafka-source"]


def kafka_without_broker():
    # A real librdkafka client against a port nothing listens on: the broker is not started.
    return ("[plugin.kafka-source]\n"
            f"brokers = 127.0.0.1:{free_port()}\n"
            "topics = trades\n"
            "kafka_properties = reconnect.backoff.ms=100, reconnect.backoff.max.ms=500\n")


class ScopedReadinessTest(unittest.TestCase):
    def start(self, extra_kernel=""):
        daemon = Daemon(plugins=PLUGINS, sections=kafka_without_broker(),
                        extra_kernel=extra_kernel)
        self.addCleanup(daemon.cleanup)
        self.addCleanup(daemon.stop)
        daemon.start()
        return daemon

    def wait_for_kafka_down(self, daemon, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            health = daemon.client.get("/api/v1/health").json()
            if health["services"].get("kafka") == "down":
                return health
            time.sleep(0.1)
        self.fail(f"kafka never reported down: {health}")

    def kafka_up_metric(self, daemon):
        text = daemon.client.get("/metrics").body.decode()
        values = [line.split()[-1] for line in text.splitlines()
                  if line.startswith("tradestore_kafka_up")]
        self.assertEqual(len(values), 1, text)
        return float(values[0])

    def test_kafka_down_leaves_rest_ready_by_default(self):
        daemon = self.start()
        health = self.wait_for_kafka_down(daemon)
        self.assertEqual(health["status"], "unhealthy")
        self.assertEqual(self.kafka_up_metric(daemon), 0)
        ready = daemon.client.get("/api/v1/health/ready")
        self.assertEqual(ready.status, 200, ready)
        self.assertEqual(ready.json()["status"], "ready")
        self.assertEqual(ready.json()["services"]["kafka"], "down")

    def test_kafka_down_fails_readiness_when_listed(self):
        daemon = self.start("readiness = store, rest, kafka\n")
        self.wait_for_kafka_down(daemon)
        ready = daemon.client.get("/api/v1/health/ready")
        self.assertEqual(ready.status, 503, ready)
        self.assertEqual(ready.json()["status"], "not ready")
        self.assertEqual(ready.json()["detail"], "kafka is down")

    def test_an_unknown_name_in_readiness_is_a_config_error(self):
        daemon = Daemon(plugins=PLUGINS, sections=kafka_without_broker(),
                        extra_kernel="readiness = store, kafak\n")
        self.addCleanup(daemon.cleanup)
        r = run_tradestored("--config", daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^.*tradestore\.ini:\d+: \[kernel\] readiness: 'kafak' names "
                                   r"no listed store or source plugin\n$")


if __name__ == "__main__":
    unittest.main()
