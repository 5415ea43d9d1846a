"""End to end: system events. GET /api/v1/events reads MongoDB's trade_events (filters, paging,
validation); the kernel's STARTED and STOPPED arrive for a daemon's start and stop (STOPPED
written before the store closes); kafka-source reports a dead broker as KAFKA_ERROR; a
PostgreSQL store going away and coming back is STORE_DOWN then STORE_UP."""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

from mongo_support import (PLUGINS, harness, date, mongo_daemon, require_server, scratch_database,
                           to_millis, wait_until)


def events(client, query=""):
    r = client.get("/api/v1/events" + query)
    assert r.status == 200, r
    body = r.json()
    assert body["count"] == len(body["events"]), body
    return body["events"]


class EventsTest(unittest.TestCase):
    def setUp(self):
        require_server(self)
        self.mongo = scratch_database(self)

    def test_the_events_route_filters_pages_and_validates(self):
        base = 1_764_000_000_000
        self.mongo.insert("trade_events", [
            {"_id": f"TEST_EVENT:{i}", "event_type": "TEST_EVENT" if i % 3 else "OTHER_EVENT",
             "severity": ["INFO", "WARNING", "ERROR"][i % 3], "data": {"n": i},
             "timestamp": date(base + i * 1000)}
            for i in range(12)])
        daemon = mongo_daemon(self, self.mongo).start()
        client = daemon.client

        tests = events(client, "?event_type=TEST_EVENT&limit=1000")
        self.assertEqual([e["id"] for e in tests],
                         [f"TEST_EVENT:{i}" for i in range(11, -1, -1) if i % 3])  # newest first
        first = tests[0]
        self.assertEqual(set(first), {"id", "event_type", "severity", "data", "timestamp"})
        self.assertEqual(first["data"], {"n": 11})
        self.assertEqual(first["severity"], "ERROR")
        self.assertEqual(to_millis(first["timestamp"]), base + 11_000)

        errors = events(client, "?event_type=TEST_EVENT&severity=ERROR")
        self.assertEqual([e["data"]["n"] for e in errors], [11, 8, 5, 2])
        page = events(client, "?event_type=TEST_EVENT&skip=2&limit=3")
        self.assertEqual([e["data"]["n"] for e in page], [8, 7, 5])
        self.assertEqual(events(client, "?event_type=TEST_EVENT&skip=100"), [])
        self.assertEqual([e["data"]["n"] for e in events(client, "?event_type=OTHER_EVENT&severity=INFO")],
                         [9, 6, 3, 0])
        self.assertEqual(events(client, "?event_type=NEVER_SEEN"), [])

        # The daemon's own STARTED is there too, newer than the test's events.
        started = wait_until(lambda: events(client, "?event_type=STARTED"), 30, "STARTED")
        self.assertEqual(started[0]["severity"], "INFO")
        self.assertEqual(events(client, "?limit=1")[0]["event_type"], "STARTED")

        # Bad parameters: 422 in FastAPI's shape, each bad one named, nothing read.
        for query, loc, kind in [("?limit=0", "limit", "greater_than_equal"),
                                 ("?limit=1001", "limit", "less_than_equal"),
                                 ("?skip=-1", "skip", "greater_than_equal"),
                                 ("?limit=ten", "limit", "int_parsing"),
                                 ("?severity=DEBUG", "severity", "enum"),
                                 ("?severity=info", "severity", "enum"),
                                 ("?event_type=started", "event_type", "string_pattern_mismatch"),
                                 ("?event_type=" + "A" * 51, "event_type", "string_pattern_mismatch"),
                                 ("?event_type=", "event_type", "string_pattern_mismatch")]:
            r = client.get("/api/v1/events" + query)
            self.assertEqual(r.status, 422, (query, r))
            detail = r.json()["detail"]
            self.assertEqual([(d["loc"], d["type"]) for d in detail], [(["query", loc], kind)], query)
        r = client.get("/api/v1/events?severity=NOPE&limit=0&event_type=x")
        self.assertEqual([d["loc"][1] for d in r.json()["detail"]], ["event_type", "severity", "limit"])

    def test_started_and_stopped_arrive_for_a_start_and_a_stop(self):
        daemon = mongo_daemon(self, self.mongo).start()
        started = wait_until(lambda: self.mongo.find("trade_events", {"event_type": "STARTED"}), 30,
                             "STARTED in trade_events")
        self.assertEqual(len(started), 1, started)
        pid = started[0]["data"]["pid"]
        self.assertEqual(pid, daemon.process.pid)
        self.assertTrue(started[0]["data"]["version"])
        self.assertEqual(started[0]["severity"], "INFO")
        # A decision just before the stop: shipped by the last run at shutdown, with STOPPED.
        self.assertEqual(daemon.client.post("/api/v1/trades", harness.trade("LAST", 1)).status, 201)
        self.assertEqual(daemon.stop(), 0)

        # Nothing runs any more: whatever is in MongoDB was written before the process ended.
        stopped = self.mongo.find("trade_events", {"event_type": "STOPPED"})
        self.assertEqual(len(stopped), 1, stopped)
        self.assertEqual(stopped[0]["data"]["pid"], pid)
        self.assertGreaterEqual(stopped[0]["data"]["uptime_seconds"], 0)
        self.assertGreaterEqual(stopped[0]["timestamp"], started[0]["timestamp"])
        self.assertEqual(self.mongo.count("audit_logs", {"trade_id": "LAST"}), 1)

    def test_a_dead_broker_is_a_kafka_error_event(self):
        dead = harness.free_port()  # nothing listens there
        kafka = ("[plugin.kafka-source]\n"
                 f"brokers = 127.0.0.1:{dead}\n"
                 "topics = trades\n"
                 "group_id = events-test\n")
        daemon = mongo_daemon(self, self.mongo, plugins=PLUGINS + ["kafka-source"],
                              sections=kafka).start()
        found = wait_until(lambda: events(daemon.client, "?event_type=KAFKA_ERROR"), 60,
                           "KAFKA_ERROR through GET /api/v1/events")
        event = found[-1]  # the first one
        self.assertEqual(event["severity"], "WARNING")
        self.assertEqual(event["data"]["brokers"], f"127.0.0.1:{dead}")
        self.assertEqual(event["data"]["group"], "events-test")
        self.assertTrue(event["data"]["code"].startswith("_"), event)  # a local librdkafka error
        self.assertFalse(event["data"]["fatal"])
        # One per error code a minute, however often librdkafka retries.
        codes = [e["data"]["code"] for e in found]
        self.assertEqual(len(codes), len(set(codes)), found)


    def test_a_store_outage_is_store_down_then_store_up(self):
        script = os.environ.get("TRADESTORE_PG_SCRIPT", "")
        state = tempfile.mkdtemp(prefix="tradestore-pg-events-")
        self.addCleanup(shutil.rmtree, state, True)
        env = {k: v for k, v in os.environ.items() if k != "TRADESTORE_TEST_PG_URI"}
        started = subprocess.run([script, "start", state], env=env, capture_output=True, text=True) \
            if script else None
        if started is None or started.returncode != 0:
            message = "no PostgreSQL test server: " + (started.stderr if started else "TRADESTORE_PG_SCRIPT unset")
            if os.environ.get("CI") == "true":
                self.fail(message)
            self.skipTest(message)
        self.addCleanup(subprocess.run, [script, "stop", state], env=env, capture_output=True)
        with open(os.path.join(state, "uri")) as f:
            uri = f.read().strip()
        plugins = [p if p != "sqlite-store" else "postgres-store" for p in PLUGINS]
        daemon = mongo_daemon(self, self.mongo, plugins=plugins,
                              store_config=f"[plugin.postgres-store]\nuri = {uri}\nconnect_timeout = 1s\n").start()
        self.assertEqual(daemon.client.post("/api/v1/trades", harness.trade("PG1", 1)).status, 201)

        subprocess.run([script, "pause", state], check=True, env=env, capture_output=True)
        # The kernel learns it from a failed commit or a health check, whichever comes first.
        self.assertEqual(daemon.client.post("/api/v1/trades", harness.trade("PG2", 1)).status, 503)
        self.assertEqual(daemon.client.get("/api/v1/health").json()["services"]["postgres"], "down")
        time.sleep(1)
        subprocess.run([script, "resume", state], check=True, env=env, capture_output=True)
        wait_until(lambda: daemon.client.get("/api/v1/health").json()["services"]["postgres"] == "up",
                   30, "postgres up again")
        self.assertEqual(daemon.client.post("/api/v1/trades", harness.trade("PG3", 1)).status, 201)

        wait_until(lambda: self.mongo.count("trade_events", {"event_type": "STORE_UP"}) > 0, 30,
                   "STORE_UP in trade_events")
        store_events = [e for e in events(daemon.client, "?limit=1000")
                        if e["event_type"] in ("STORE_DOWN", "STORE_UP")][::-1]  # oldest first
        self.assertEqual([e["event_type"] for e in store_events], ["STORE_DOWN", "STORE_UP"])
        down, up = store_events
        self.assertEqual(down["severity"], "ERROR")
        self.assertEqual(down["data"]["store"], "postgres")
        self.assertTrue(down["data"]["error"])
        self.assertEqual(up["severity"], "INFO")
        self.assertGreaterEqual(up["data"]["down_seconds"], 1)
        self.assertLessEqual(to_millis(down["timestamp"]), to_millis(up["timestamp"]))


if __name__ == "__main__":
    unittest.main()
