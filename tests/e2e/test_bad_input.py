"""Bad input gets a precise 4xx and changes nothing."""

import unittest

from harness import Daemon, trade


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(rest_settings="max_body_bytes = 4096\nmax_batch_items = 5\n").start()
        cls.http = cls.daemon.client

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop_cleanly()

    def assert_nothing_stored(self, trade_id):
        self.assertEqual(self.http.get(f"/api/v1/trades/{trade_id}").status, 404)
        self.assertEqual(self.http.get(f"/api/v1/audit-logs?trade_id={trade_id}").json()["count"], 0)

    def post_raw(self, body, content_type="application/json"):
        return self.http.post("/api/v1/trades", body, raw=True, headers={"Content-Type": content_type})

    def test_malformed_json_is_400_with_the_position(self):
        r = self.post_raw(b'{"trade_id": "X1", "version": }')
        self.assertEqual(r.status, 400, r)
        self.assertIn("offset 30", r.json()["detail"])

    def test_non_utf8_body_is_400(self):
        r = self.post_raw(b'{"trade_id": "\xff\xfe", "version": 1}')
        self.assertEqual(r.status, 400, r)

    def field_errors(self, body):
        r = self.http.post("/api/v1/trades", body)
        self.assertEqual(r.status, 422, r)
        return {tuple(e["loc"]): e["type"] for e in r.json()["detail"]}

    def test_every_missing_field_is_listed(self):
        errors = self.field_errors({})
        for field in ("trade_id", "version", "counter_party_id", "book_id", "maturity_date"):
            self.assertEqual(errors[("body", field)], "missing")

    def test_wrong_types_and_values(self):
        cases = [
            ({"version": 2.5}, "version", "int_from_float"),
            ({"version": "3"}, "version", "int_type"),
            ({"version": 0}, "version", "greater_than_equal"),
            ({"trade_id": ""}, "trade_id", "string_too_short"),
            ({"trade_id": "X" * 51}, "trade_id", "string_too_long"),
            ({"trade_id": "A\u0000B"}, "trade_id", "string_pattern_mismatch"),
            ({"book_id": "B\tB"}, "book_id", "string_pattern_mismatch"),
            ({"maturity_date": "2023-02-29"}, "maturity_date", "date_from_datetime_parsing"),
            ({"maturity_date": "20/05/2027"}, "maturity_date", "date_from_datetime_parsing"),
            ({"counter_party_id": 7}, "counter_party_id", "string_type"),
        ]
        for change, field, error_type in cases:
            with self.subTest(field=field, change=change):
                body = trade("BAD-1")
                body.update(change)
                self.assertEqual(self.field_errors(body).get(("body", field)), error_type)
        self.assert_nothing_stored("BAD-1")

    def test_hostile_text_is_stored_verbatim(self):
        for trade_id in ("O'Brien;--", 'quote"d', "Zürich-€-日本"):
            with self.subTest(trade_id=trade_id):
                r = self.http.post("/api/v1/trades", trade(trade_id, book="b'; DROP TABLE trades; --"))
                self.assertEqual(r.status, 201, r)
                from urllib.parse import quote
                got = self.http.get("/api/v1/trades/" + quote(trade_id, safe="")).json()
                self.assertEqual((got["trade_id"], got["book_id"]), (trade_id, "b'; DROP TABLE trades; --"))

    def test_body_too_large_is_413(self):
        body = trade("BIG-1", padding="x" * 5000)
        r = self.http.post("/api/v1/trades", body)
        self.assertEqual(r.status, 413, r)
        self.assert_nothing_stored("BIG-1")

    def test_batch_over_the_item_limit_is_413(self):
        r = self.http.post("/api/v1/trades/batch", [trade(f"BL-{i}") for i in range(6)])
        self.assertEqual(r.status, 413, r)
        self.assert_nothing_stored("BL-0")

    def test_wrong_content_type_is_415(self):
        r = self.post_raw(b'{"trade_id": "CT-1"}', content_type="text/plain")
        self.assertEqual(r.status, 415, r)

    def test_unknown_route_is_404_and_wrong_method_405(self):
        self.assertEqual(self.http.get("/api/v1/nothing-here").status, 404)
        self.assertEqual(self.http.get("/").status in (200, 404), True)
        r = self.http.request("PUT", "/api/v1/trades/X")
        self.assertEqual(r.status, 405, r)
        self.assertIn("GET", r.headers.get("allow", ""))

    def test_errors_never_leak_internals(self):
        for r in (self.post_raw(b"[[[["), self.http.get("/api/v1/trades?limit=abc")):
            self.assertLess(r.status, 500)
            self.assertNotIn(b"sqlite", r.body.lower())
            self.assertNotIn(b"exception", r.body.lower())


if __name__ == "__main__":
    unittest.main()
