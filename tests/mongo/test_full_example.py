"""etc/examples/full.ini, the whole original design in one file, run as the README says: the
file as it is in the repository, filled in only through the environment variables its header
names, against the test servers (PostgreSQL, a Kafka broker, and a FerretDB of the test's own
that takes TLS with SCRAM credentials only, as the file's default `tls=true` expects).

Trades arrive over REST and from Kafka, a bad Kafka message is dead-lettered, PostgreSQL holds
every decision, and MongoDB receives each audit entry exactly once plus the kernel's events."""

import json
import os
import subprocess
import sys
import unittest
import uuid

from mongo_support import FerretServer, Mongo, require_server, store_audit, wait_until, harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kafka"))
import kafka_harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FULL_INI = os.path.join(ROOT, "etc", "examples", "full.ini")
FUTURE = "2099-06-30"  # full.ini has no fixed business date: today's must be before it


def section_values(path, section):
    """key -> value of one section of an INI file, as written (before ${} substitution)."""
    values, current = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                current = line.strip("[]")
            elif current == section and "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip()
    return values


class FullExampleTest(unittest.TestCase):
    def setUp(self):
        if os.environ.get("TRADESTORE_TEST_MONGO_URI"):
            self.skipTest("TRADESTORE_TEST_MONGO_URI names an outside server; full.ini wants "
                          "TLS and SCRAM from a FerretDB of the test's own")
        require_server(self)  # the fixture built FerretDB
        self.brokers = kafka_harness.brokers()
        self.mongo_server = FerretServer(tls=True)
        self.addCleanup(self.mongo_server.cleanup)
        self.pg_uri = harness.postgres_database_uri("full-example-" + uuid.uuid4().hex)

        kafka = section_values(FULL_INI, "plugin.kafka-source")
        self.topic, self.dlq = kafka["topics"], kafka["dead_letter_topic"]
        for topic in (self.topic, self.dlq):
            subprocess.run([kafka_harness.KAFKA_TOOL, "create-topic", "--brokers", self.brokers,
                            "--topic", topic, "--partitions", "3"], capture_output=True,
                           timeout=120)  # it may exist from an earlier run on this broker

        self.port = harness.free_port()
        self.env = dict(os.environ)
        self.env.update({
            "TRADESTORE_PG_URI": self.pg_uri,
            "KAFKA_BROKERS": self.brokers,
            "KAFKA_PROPERTIES": "",
            "MONGO_USER": "tradestore",
            "MONGO_PASSWORD": self.mongo_server.password,
            "MONGO_HOSTS": self.mongo_server.uri.split("//", 1)[1].split("/", 1)[0],
            "MONGO_TLS_OPTIONS": "&tlsCAFile=" + os.path.join(self.mongo_server.certs, "ca.pem"),
            "TRADESTORE_PORT": str(self.port),
        })
        credentials = f"mongodb://tradestore:{self.mongo_server.password}@"
        self.mongo = Mongo(self.mongo_server.uri.replace("mongodb://", credentials, 1),
                           section_values(FULL_INI, "plugin.mongo-audit")["database"])
        self.log_path = os.path.join(self.mongo_server.state, "daemon.log")
        self.process = None
        self.addCleanup(self.stop_daemon)

    def start_daemon(self):
        log = open(self.log_path, "ab")
        self.addCleanup(log.close)
        self.process = subprocess.Popen([harness.TRADESTORED, "--config", FULL_INI],
                                        stdout=log, stderr=subprocess.STDOUT, env=self.env)
        self.client = harness.Client(self.port)
        wait_until(lambda: self.process.poll() is not None or self.client_answers(), 60,
                   "tradestored to answer")
        self.assertIsNone(self.process.poll(), self.read_log())

    def client_answers(self):
        try:
            return self.client.get("/api/v1/health/live").status == 200
        except OSError:
            return False

    def stop_daemon(self):
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.terminate()
        return self.process.wait(timeout=60)

    def read_log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def test_rest_and_kafka_into_postgres_with_the_audit_trail_in_mongodb(self):
        self.start_daemon()
        health = self.client.get("/api/v1/health").json()
        self.assertEqual(health["services"].get("postgres"), "up", health)
        prefix = "FULL-" + uuid.uuid4().hex[:8]

        # REST: a new trade, then a lower version, which the trade rules reject.
        r = self.client.post("/api/v1/trades", harness.trade(f"{prefix}-R", 2, maturity=FUTURE))
        self.assertEqual(r.status, 201, r)
        r = self.client.post("/api/v1/trades", harness.trade(f"{prefix}-R", 1, maturity=FUTURE))
        self.assertEqual(r.status, 400, r)

        # Kafka: two versions of one trade, and a message that is not JSON.
        records = [{"key": f"{prefix}-K", "value": json.dumps(
                        {"trade_id": f"{prefix}-K", "version": v, "counter_party_id": "CP-1",
                         "book_id": "B1", "maturity_date": FUTURE}), "headers": []}
                   for v in (1, 2)]
        records.append({"key": f"{prefix}-X", "value": "{not json", "headers": []})
        kafka_harness.produce(self.brokers, self.topic, records)

        def kafka_trade_version():
            r = self.client.get(f"/api/v1/trades/{prefix}-K")
            return r.status == 200 and r.json()["version"] == 2
        wait_until(kafka_trade_version, 120, f"{prefix}-K at version 2 in PostgreSQL")
        dead = wait_until(
            lambda: [m for m in kafka_harness.consume(self.brokers, self.dlq, timeout_ms=5000)
                     if m["key"] == f"{prefix}-X"], 60, "the bad message in the dead-letter topic")
        self.assertEqual(len(dead), 1, dead)
        self.assertEqual(kafka_harness.headers_of(dead[0]).get("tradestore.dlq.reason"), "MALFORMED_JSON")

        # Every decision the store audited (the dead-lettered message too, under its key)
        # reaches MongoDB's audit_logs once, field for field. The dead letter is sent before
        # the batch that audits it commits, so its audit entry may come a moment later.
        expected = sorted([(f"{prefix}-R", "CREATE", "success"),
                           (f"{prefix}-R", "VALIDATION_FAILED", "failed"),
                           (f"{prefix}-K", "CREATE", "success"),
                           (f"{prefix}-K", "UPDATE", "success"),
                           (f"{prefix}-X", "VALIDATION_FAILED", "failed")])

        def audited():
            entries = [e for e in store_audit(self.client) if e["trade_id"].startswith(prefix)]
            return entries if len(entries) >= len(expected) else None
        ours = wait_until(audited, 60, "the store's audit of our five decisions")
        self.assertEqual(sorted((e["trade_id"], e["action"], e["status"]) for e in ours),
                         expected)
        ids = [e["id"] for e in ours]

        def shipped():
            docs = self.mongo.find("audit_logs", {"_id": {"$in": ids}})
            return docs if len(docs) == len(ids) else None
        docs = wait_until(shipped, 60, "our audit entries in MongoDB")
        by_id = {d["_id"]: d for d in docs}
        for entry in ours:
            doc = by_id[entry["id"]]
            self.assertEqual((doc["trade_id"], doc["action"], doc["status"], doc["source"]),
                             (entry["trade_id"], entry["action"], entry["status"],
                              entry["details"]["source"]), doc)
        self.assertEqual(sorted(d["source"] for d in docs), ["kafka", "kafka", "kafka", "rest", "rest"])

        # The kernel's STARTED event went through PostgreSQL's event outbox to trade_events.
        wait_until(lambda: self.mongo.count("trade_events", {"event_type": "STARTED"}) >= 1, 60,
                   "STARTED in trade_events")
        self.assertEqual(self.stop_daemon(), 0, self.read_log())
        self.assertNotIn(self.mongo_server.password, self.read_log())


if __name__ == "__main__":
    unittest.main()
