"""End to end: system events. GET /api/v1/events reads MongoDB's trade_events (filters, paging,
validation)."""

import unittest

from mongo_support import (date, mongo_daemon, require_server, scratch_database,
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


if __name__ == "__main__":
    unittest.main()
