"""The broker and librdkafka agree on every protocol feature, and the daemon refuses bad
kafka-source settings with one line."""

import unittest

from kafka_harness import (KAFKA_PLUGINS, Daemon, brokers, kafka_section, run_tradestored,
                           tool, unique)


class BrokerFeatureTest(unittest.TestCase):
    def test_librdkafka_disables_no_feature_against_the_test_broker(self):
        # librdkafka 2.0.2 matches features against exact protocol versions; against a broker
        # it does not know it may silently disable some ("Disabling feature ..." with
        # debug=feature). kafka_tool smoke produces and consumes one message and fails on any.
        out = tool("smoke", "--brokers", brokers(), "--topic", unique("smoke"))
        self.assertIn("Enabling feature IdempotentProducer", out)
        self.assertIn("Enabling feature BrokerBalancedConsumer", out)


class SettingsTest(unittest.TestCase):
    def start_with(self, section):
        daemon = Daemon(plugins=KAFKA_PLUGINS, sections=section)
        self.addCleanup(daemon.cleanup)
        return run_tradestored("--config", daemon.config_path)

    def test_an_unknown_librdkafka_property_fails_the_start_naming_it(self):
        r = self.start_with(kafka_section("127.0.0.1:1", "t", "g", "t.dlq",
                                          properties="no.such.property=1"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("no.such.property: unknown librdkafka property", r.stderr)

    def test_a_bad_property_value_fails_the_start_naming_it(self):
        r = self.start_with(kafka_section("127.0.0.1:1", "t", "g", "t.dlq",
                                          properties="sasl.password=hunter2, "
                                                     "queued.min.messages=lots"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("queued.min.messages", r.stderr)
        self.assertNotIn("hunter2", r.stderr)

    def test_properties_the_source_owns_are_refused(self):
        r = self.start_with(kafka_section("127.0.0.1:1", "t", "g", "t.dlq",
                                          properties="enable.auto.offset.store=true"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("enable.auto.offset.store cannot be set here", r.stderr)

    def test_an_unknown_setting_is_refused_by_the_schema(self):
        daemon = Daemon(plugins=KAFKA_PLUGINS,
                        sections=kafka_section("127.0.0.1:1", "t", "g", "t.dlq")
                        + "batch_sise = 10\n")
        self.addCleanup(daemon.cleanup)
        r = run_tradestored("--config", daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn("[plugin.kafka-source] batch_sise: unknown setting (did you mean 'batch_size'?)",
                      r.stderr)

    def test_kafka_dot_keys_pass_the_schema(self):
        daemon = Daemon(plugins=KAFKA_PLUGINS,
                        sections=kafka_section("127.0.0.1:1", "t", "g", "t.dlq")
                        + "kafka.socket.keepalive.enable = true\n")
        self.addCleanup(daemon.cleanup)
        r = run_tradestored("--config", daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
