"""Every REST endpoint, driven over HTTP against the real daemon."""

import unittest

import harness
from harness import Daemon, trade


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()
        cls.http = cls.daemon.client

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop_cleanly()

    def test_create_update_replace_and_lower_version(self):
        r = self.http.post("/api/v1/trades", trade("API-1", 1))
        self.assertEqual(r.status, 201, r)
        body = r.json()
        self.assertEqual(body["outcome"], "created")
        for field, value in trade("API-1", 1).items():
            self.assertEqual(body[field], value)
        self.assertEqual(body["created_date"], "2026-11-24")
        self.assertIs(body["expired"], False)
        self.assertTrue(body["last_updated"].endswith("Z"))

        r = self.http.post("/api/v1/trades", trade("API-1", 2, book="B2"))
        self.assertEqual((r.status, r.json()["outcome"], r.json()["book_id"]), (201, "updated", "B2"))
        r = self.http.post("/api/v1/trades", trade("API-1", 2, book="B3"))
        self.assertEqual((r.status, r.json()["outcome"], r.json()["book_id"]), (201, "replaced", "B3"))

        r = self.http.post("/api/v1/trades", trade("API-1", 1))
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["detail"], "Trade API-1: Received version 1 is lower than current version 2")
        self.assertEqual(r.json()["reasons"], ["LOWER_VERSION"])
        self.assertEqual(self.http.get("/api/v1/trades/API-1").json()["book_id"], "B3")

    def test_maturity_rules(self):
        self.assertEqual(self.http.post("/api/v1/trades", trade("MAT-TODAY", maturity="2026-11-24")).status, 201)
        r = self.http.post("/api/v1/trades", trade("MAT-PAST", maturity="2026-11-23"))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["reasons"], ["MATURITY_IN_PAST"])
        self.assertEqual(self.http.get("/api/v1/trades/MAT-PAST").status, 404)

    def test_every_failed_rule_is_reported(self):
        self.http.post("/api/v1/trades", trade("MULTI", 5))
        r = self.http.post("/api/v1/trades", trade("MULTI", 4, maturity="2020-01-01"))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["reasons"], ["LOWER_VERSION", "MATURITY_IN_PAST"])

    def test_get_and_404(self):
        self.http.post("/api/v1/trades", trade("GET-1"))
        self.assertEqual(self.http.get("/api/v1/trades/GET-1").json()["trade_id"], "GET-1")
        r = self.http.get("/api/v1/trades/NOPE")
        self.assertEqual((r.status, r.json()), (404, {"detail": "Trade NOPE not found"}))

    def test_list_is_ordered_and_paged(self):
        for i in (3, 1, 2):
            self.http.post("/api/v1/trades", trade(f"LIST-{i}", book="LISTBOOK"))
        ids = [t["trade_id"] for t in self.http.get("/api/v1/trades?limit=1000").json()]
        self.assertEqual(ids, sorted(ids))
        page = self.http.get("/api/v1/trades?skip=1&limit=2").json()
        self.assertEqual([t["trade_id"] for t in page], ids[1:3])
        for bad in ("limit=0", "limit=1001", "limit=x", "skip=-1"):
            r = self.http.get(f"/api/v1/trades?{bad}")
            self.assertEqual(r.status, 422, bad)
            self.assertEqual(r.json()["detail"][0]["loc"][0], "query")

    def test_by_book(self):
        self.http.post("/api/v1/trades", trade("BOOK-1", book="ONLYBOOK"))
        self.http.post("/api/v1/trades", trade("BOOK-2", book="ONLYBOOK"))
        self.http.post("/api/v1/trades", trade("BOOK-3", book="OTHERBOOK"))
        ids = sorted(t["trade_id"] for t in self.http.get("/api/v1/trades/book/ONLYBOOK").json())
        self.assertEqual(ids, ["BOOK-1", "BOOK-2"])
        self.assertEqual(self.http.get("/api/v1/trades/book/EMPTYBOOK").json(), [])

    def test_delete_then_only_a_higher_version_restores(self):
        self.http.post("/api/v1/trades", trade("DEL-1", 3))
        r = self.http.delete("/api/v1/trades/DEL-1")
        self.assertEqual((r.status, r.json()), (200, {"message": "Trade DEL-1 deleted successfully"}))
        self.assertEqual(self.http.get("/api/v1/trades/DEL-1").status, 404)
        self.assertEqual(self.http.delete("/api/v1/trades/DEL-1").status, 404)
        r = self.http.post("/api/v1/trades", trade("DEL-1", 3))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["reasons"], ["DELETED_VERSION"])
        self.assertEqual(self.http.post("/api/v1/trades", trade("DEL-1", 4)).json()["outcome"], "created")

    def test_batch_applies_valid_items_and_reports_each(self):
        items = [trade("BATCH-1", 1), trade("BATCH-1", 2), trade("BATCH-1", 1),
                 {"trade_id": "BATCH-BAD"}, trade("BATCH-2", maturity="2000-01-01")]
        r = self.http.post("/api/v1/trades/batch", items)
        self.assertEqual(r.status, 200, r)
        results = r.json()
        self.assertEqual([x["outcome"] for x in results], ["created", "updated", "rejected", "invalid", "rejected"])
        self.assertEqual([x["index"] for x in results], [0, 1, 2, 3, 4])
        self.assertEqual(results[2]["reasons"], ["LOWER_VERSION"])
        self.assertTrue(any(e["loc"][-1] == "version" for e in results[3]["errors"]))
        self.assertEqual(self.http.get("/api/v1/trades/BATCH-1").json()["version"], 2)

    def test_statistics_and_expiry(self):
        before = self.http.get("/api/v1/statistics").json()
        self.assertEqual(set(before), {"total_trades", "active_trades", "expired_trades"})
        self.assertEqual(before["total_trades"], before["active_trades"] + before["expired_trades"])
        r = self.http.post("/api/v1/expire-trades")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json(), {"message": "Expiry check completed", "trades_expired": 0})

    def test_health(self):
        body = self.http.get("/api/v1/health").json()
        self.assertEqual(body["status"], "healthy")
        self.assertEqual(body["services"][harness.STORE_SERVICE], "up")
        self.assertIn("version", body)
        self.assertIn("timestamp", body)

    def test_audit_logs_record_every_decision(self):
        self.http.post("/api/v1/trades", trade("AUD-1", 2))
        self.http.post("/api/v1/trades", trade("AUD-1", 1))
        self.http.post("/api/v1/trades", trade("AUD-1", 2))
        self.http.delete("/api/v1/trades/AUD-1")
        r = self.http.get("/api/v1/audit-logs?trade_id=AUD-1")
        self.assertEqual(r.status, 200)
        logs = r.json()["logs"]
        self.assertEqual(r.json()["count"], 4)
        self.assertEqual([(e["action"], e["status"]) for e in logs],
                         [("CREATE", "success"), ("VALIDATION_FAILED", "failed"),
                          ("REPLACE", "success"), ("DELETE", "success")])
        # Oldest first, as GET /openapi.json says (ids ascending).
        self.assertEqual([e["id"] for e in logs], sorted(e["id"] for e in logs))
        operation = self.http.get("/openapi.json").json()["paths"]["/api/v1/audit-logs"]["get"]
        self.assertIn("oldest first", operation["summary"])
        self.assertEqual(logs[1]["details"]["reason_codes"], ["LOWER_VERSION"])
        self.assertEqual(logs[1]["details"]["received_version"], 1)
        self.assertEqual(logs[1]["details"]["stored_version"], 2)
        self.assertEqual(logs[0]["details"]["source"], "rest")

    def test_history_and_as_of(self):
        """Every accepted version in order, and the trade as of each one's recorded_at."""
        import urllib.parse
        for version, book in ((1, "HB1"), (2, "HB2"), (2, "HB3")):
            self.assertEqual(self.http.post("/api/v1/trades",
                                            trade("HIST-1", version, book=book)).status, 201)
        self.assertEqual(self.http.post("/api/v1/trades", trade("HIST-1", 1)).status, 400)
        self.assertEqual(self.http.delete("/api/v1/trades/HIST-1").status, 200)
        r = self.http.get("/api/v1/trades/HIST-1/history")
        self.assertEqual(r.status, 200, r)
        items = r.json()["items"]
        self.assertEqual([(i["action"], i["version"], i["trade"]["book_id"]) for i in items],
                         [("CREATE", 1, "HB1"), ("UPDATE", 2, "HB2"), ("REPLACE", 2, "HB3"),
                          ("DELETE", 2, "HB3")])
        self.assertEqual([i["previous_version"] for i in items], [None, 1, 2, 2])
        times = [i["recorded_at"] for i in items]
        self.assertEqual(times, sorted(times))
        self.assertEqual(len(set(times)), 4)
        for item in items[:3]:
            as_of = urllib.parse.quote(item["recorded_at"])
            r = self.http.get(f"/api/v1/trades/HIST-1?as_of={as_of}")
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json(), item["trade"])
        # The books and the whole list as of each version: the trade is in the book its
        # version then named, and nowhere once deleted.
        for at, book in zip(times, ("HB1", "HB2", "HB3", None)):
            as_of = urllib.parse.quote(at)
            for other in ("HB1", "HB2", "HB3"):
                r = self.http.get(f"/api/v1/trades/book/{other}?as_of={as_of}")
                self.assertEqual(r.status, 200, r)
                self.assertEqual([t["trade_id"] for t in r.json()],
                                 ["HIST-1"] if other == book else [], (at, other))
            r = self.http.get(f"/api/v1/trades?as_of={as_of}&limit=1000")
            listed = [t for t in r.json() if t["trade_id"] == "HIST-1"]
            self.assertEqual(listed, [items[times.index(at)]["trade"]] if book else [], at)
        self.assertEqual(self.http.get("/api/v1/trades/book/HB1?as_of=soon").status, 422)
        r = self.http.get("/api/v1/trades/HIST-1?as_of=" + urllib.parse.quote(times[3]))
        self.assertEqual((r.status, r.json()), (404, {"detail": "Trade HIST-1 not found"}))
        self.assertEqual(self.http.get("/api/v1/trades/HIST-1?as_of=2020-01-01").status, 404)
        self.assertEqual(self.http.get("/api/v1/trades/HIST-1?as_of=soon").status, 422)
        r = self.http.get("/api/v1/trades/NOPE/history")
        self.assertEqual((r.status, r.json()), (404, {"detail": "Trade NOPE not found"}))

    def test_request_id_is_echoed(self):
        r = self.http.get("/api/v1/trades/NOPE", headers={"X-Request-ID": "req-123"})
        self.assertEqual(r.headers.get("x-request-id"), "req-123")
        self.assertTrue(self.http.get("/api/v1/health").headers.get("x-request-id"))


if __name__ == "__main__":
    unittest.main()
