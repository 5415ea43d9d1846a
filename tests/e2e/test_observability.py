"""Probes, /metrics (checked by promtool), JSON-lines logs without secrets, CORS, the API
document and the service routes, against the real daemon."""

import json
import os
import subprocess
import time
import unittest

import harness
from harness import IN_CI, Daemon, require_tool, trade

STORE_SERVICE = getattr(harness, "STORE_SERVICE", "sqlite")  # "postgres" when run on PostgreSQL

SECRET = "s3cr3t-Metrics-Token-4711"


class ObservabilityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(
            extra_kernel="log_format = json\nlog_level = debug\n",
            rest_settings=("access_log = true\n"
                           "cors_allowed_origins = https://ui.example\n"
                           f"metrics_token = {SECRET}\n"
                           "docs_dir = /nonexistent/swagger-ui\n")).start()
        cls.http = cls.daemon.client

    @classmethod
    def tearDownClass(cls):
        cls.log = cls.daemon.stop_cleanly()
        # After the stop: every line the daemon wrote, start to shutdown, is JSON and no line
        # carries the secret from the config.
        assert SECRET not in cls.log, "a secret from the config reached the log"
        for number, line in enumerate(cls.log.splitlines(), 1):
            entry = json.loads(line)
            assert {"time", "level", "logger", "message"} <= entry.keys(), (number, line)

    def scrape(self):
        r = self.http.get("/metrics", headers={"Authorization": f"Bearer {SECRET}"})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["content-type"].startswith("text/plain; version=0.0.4"))
        return r.body.decode()

    def test_probes(self):
        live = self.http.get("/api/v1/health/live")
        self.assertEqual((live.status, live.json()), (200, {"status": "alive"}))
        ready = self.http.get("/api/v1/health/ready")
        self.assertEqual(ready.status, 200, ready)
        self.assertEqual(ready.json(), {"status": "ready",
                                        "services": {"rest": "up", STORE_SERVICE: "up"}})
        self.assertEqual(self.http.get("/api/v1/health").status, 200)

    def test_metrics_cover_requests_trades_store_and_process(self):
        self.assertEqual(self.http.post("/api/v1/trades", trade("OBS-1", 2)).status, 201)
        self.assertEqual(self.http.post("/api/v1/trades", trade("OBS-1", 1)).status, 400)
        self.assertEqual(self.http.get("/api/v1/trades/OBS-1").status, 200)
        self.assertEqual(self.http.post("/api/v1/expire-trades").status, 200)
        self.assertEqual(self.http.get("/metrics").status, 401, "the token is required")
        text = self.scrape()
        for needle in (
            'tradestore_http_requests_total{method="GET",route="/api/v1/trades/{trade_id}",status="200"}',
            'tradestore_http_requests_total{method="POST",route="/api/v1/trades",status="400"}',
            'tradestore_http_request_duration_seconds_bucket{method="POST",route="/api/v1/trades",le="+Inf"}',
            'tradestore_trades_processed_total{outcome="created",source="rest"}',
            'tradestore_trades_processed_total{outcome="rejected",source="rest"}',
            'tradestore_rejections_total{reason="LOWER_VERSION"}',
            "tradestore_store_batch_size_bucket",
            "tradestore_store_commit_duration_seconds_bucket",
            "tradestore_expiry_run_trades_bucket",
            "tradestore_expiry_last_run_trades",
            "tradestore_trades_expired_total",
            "tradestore_http_open_connections ",
            "process_resident_memory_bytes ",
            "tradestore_build_info{version=",
        ):
            self.assertIn(needle, text)
        self.assertNotIn("OBS-1", text, "raw paths and ids never become labels")

    def test_promtool_accepts_a_real_scrape(self):
        promtool = require_tool(self, "promtool")
        self.http.post("/api/v1/trades", trade("PROM-1"))
        self.http.get("/api/v1/trades/PROM-1")
        self.http.get("/api/v1/nothing")
        text = self.scrape()
        result = subprocess.run([promtool, "check", "metrics"], input=text, text=True,
                                capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertEqual(result.stdout.strip() + result.stderr.strip(), "",
                         "promtool found problems")

    def test_json_log_lines_carry_the_request_id(self):
        r = self.http.get("/api/v1/trades/NO-SUCH", headers={"X-Request-ID": "e2e-trace-42"})
        self.assertEqual(r.headers["x-request-id"], "e2e-trace-42")
        for _ in range(50):
            entries = [json.loads(line) for line in self.daemon.read_log().splitlines()]
            hits = [e for e in entries if e.get("request_id") == "e2e-trace-42"]
            if hits:
                break
        self.assertTrue(hits, "no log line with the request id")
        self.assertEqual(hits[0]["logger"], "rest-source.access")
        self.assertIn("GET /api/v1/trades/NO-SUCH 404", hits[0]["message"])
        settings = [e["message"] for e in entries if e["message"].startswith("setting ")]
        self.assertIn("setting [plugin.rest-source] metrics_token = ***", settings)

    def access_entry(self, request_id, timeout=10):
        """The access log line of a request, parsed, once the daemon has written it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.daemon.read_log().splitlines():
                entry = json.loads(line)
                if entry["logger"] == "rest-source.access" and entry.get("request_id") == request_id:
                    return entry
            time.sleep(0.05)
        self.fail(f"no access log line with request id {request_id}")

    def test_json_access_log_lines_have_fields_of_their_own(self):
        r = self.http.post("/api/v1/trades", trade("ACCESS-1"),
                           headers={"X-Request-ID": "e2e-access-1"})
        entry = self.access_entry("e2e-access-1")
        self.assertEqual(entry["method"], "POST")
        self.assertEqual(entry["path"], "/api/v1/trades")
        self.assertEqual(entry["status"], 201)
        self.assertIsInstance(entry["status"], int)
        self.assertIsInstance(entry["duration_ms"], float)
        self.assertGreaterEqual(entry["duration_ms"], 0)
        self.assertRegex(entry["client"], r"^127\.0\.0\.1:\d+$")
        self.assertEqual(entry["bytes"], len(r.body))
        self.assertNotIn("token_id", entry, "no token was sent")
        # The message keeps the plain line, for readers of the text.
        self.assertTrue(entry["message"].startswith("POST /api/v1/trades 201 "), entry)

        self.http.get("/api/v1/audit-logs?limit=1", headers={"X-Request-ID": "e2e-access-q"})
        self.assertEqual(self.access_entry("e2e-access-q")["path"], "/api/v1/audit-logs",
                         "the path field leaves the query out")

        self.http.get("/metrics", headers={"Authorization": f"Bearer {SECRET}",
                                           "X-Request-ID": "e2e-access-2"})
        entry = self.access_entry("e2e-access-2")
        self.assertEqual((entry["path"], entry["status"], entry["token_id"]),
                         ("/metrics", 200, "metrics_token"))

    def test_cors_allowed_and_refused_origins(self):
        ok = self.http.get("/api/v1/health", headers={"Origin": "https://ui.example"})
        self.assertEqual(ok.headers.get("access-control-allow-origin"), "https://ui.example")
        refused = self.http.get("/api/v1/health", headers={"Origin": "https://evil.example"})
        self.assertEqual(refused.status, 200)
        self.assertNotIn("access-control-allow-origin", refused.headers)
        preflight = self.http.request("OPTIONS", "/api/v1/trades", headers={
            "Origin": "https://ui.example", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-request-id"})
        self.assertEqual(preflight.status, 204, preflight)
        self.assertEqual(preflight.headers["access-control-allow-origin"], "https://ui.example")
        self.assertIn("POST", preflight.headers["access-control-allow-methods"])
        bad = self.http.request("OPTIONS", "/api/v1/trades", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        self.assertEqual((bad.status, bad.json()), (400, {"detail": "Disallowed CORS origin"}))
        self.assertNotIn("access-control-allow-origin", bad.headers)

    def test_service_info_and_docs_without_assets(self):
        info = self.http.get("/").json()
        self.assertEqual(info["name"], "TradeStore")
        self.assertEqual(info["docs"], "/docs")
        docs = self.http.get("/docs")
        self.assertEqual(docs.status, 404)
        self.assertIn(b"assets were not installed", docs.body)

    def test_every_documented_operation_is_served(self):
        r = self.http.get("/openapi.json")
        self.assertEqual(r.status, 200)
        document = r.json()
        self.assertEqual(document["openapi"], "3.1.0")
        self.assertEqual(document["info"]["version"], info_version(self.http))
        self.assertGreaterEqual(len(document["paths"]), 10)
        for path, item in document["paths"].items():
            concrete = path.replace("{trade_id}", "DOC-1").replace("{book_id}", "B1")
            for method, operation in item.items():
                body = None
                if "requestBody" in operation:
                    schema = operation["requestBody"]["content"]["application/json"]["schema"]
                    body = [trade("DOC-1")] if schema.get("type") == "array" else trade("DOC-1")
                answer = self.http.request(method.upper(), concrete, body)
                self.assertIn(str(answer.status), operation["responses"],
                              f"{method.upper()} {path}: {answer}")
                self.assertNotEqual(answer.body, b'{"detail":"Not Found"}', f"{method} {path}")
                self.assertNotEqual(answer.status, 405, f"{method} {path}")
        # And what the document does not list is not routed.
        self.assertEqual(self.http.request("PUT", "/api/v1/trades").status, 405)
        self.assertEqual(self.http.get("/api/v1/undocumented").status, 404)


def info_version(http):
    return http.get("/api/v1/health").json()["version"]


class SwaggerUiTest(unittest.TestCase):
    """GET /docs with the assets that web/swagger/install.sh put into the cache."""

    def test_docs_serve_the_swagger_ui(self):
        assets = os.environ.get("TRADESTORE_SWAGGER_UI_DIR", "")
        if not assets or not os.path.isfile(os.path.join(assets, "swagger-ui-bundle.js")):
            message = "swagger-ui-dist is not installed (web/swagger/install.sh)"
            if IN_CI:
                self.fail(message)
            self.skipTest(message)
        daemon = Daemon(rest_settings=f"docs_dir = {assets}\n").start()
        try:
            page = daemon.client.get("/docs")
            self.assertEqual(page.status, 200)
            self.assertTrue(page.headers["content-type"].startswith("text/html"))
            self.assertIn(b'url: "/openapi.json"', page.body)
            bundle = daemon.client.get("/docs/swagger-ui-bundle.js")
            self.assertEqual(bundle.status, 200)
            self.assertGreater(len(bundle.body), 100_000)
            self.assertEqual(daemon.client.get("/docs/package.json").status, 404)
        finally:
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()


if __name__ == "__main__":
    unittest.main()
