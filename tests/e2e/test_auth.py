"""Authentication and authorization of the REST API against the real daemon: every route with
no token, a bad token and each role (the expected statuses are this file's own table, not the
daemon's); the 401/403 answers and their log lines and counters; the secure default for
non-loopback addresses; and SIGHUP swapping tokens without dropping a keep-alive connection."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time
import unittest

from harness import Daemon, run_tradestored, trade

TOKENS = {"reader": "rd-7f3a9c2e1b", "writer": "wr-5d8e0a4f6c", "admin": "ad-9b1c7e3d2a"}
BAD = "not-a-known-token"


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()


def token_settings(tokens):
    return "".join(f"auth.tokens.{role}-id = {role}:sha256:{sha256_hex(tok)}\n"
                   for role, tok in tokens.items())


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# Expected status per caller: no token, bad token, reader, writer, admin. Rows run in order;
# the trade M1 exists before, D1 and D2 are deleted by the admin (the last caller of a row).
MATRIX = [
    ("POST", "/api/v1/trades", trade("W1"), (401, 401, 403, 201, 201)),
    ("POST", "/api/v1/trades/batch", [trade("W2")], (401, 401, 403, 200, 200)),
    ("GET", "/api/v1/trades", None, (401, 401, 200, 200, 200)),
    ("HEAD", "/api/v1/trades", None, (401, 401, 200, 200, 200)),
    ("GET", "/api/v1/trades/book/B1", None, (401, 401, 200, 200, 200)),
    ("GET", "/api/v1/trades/M1", None, (401, 401, 200, 200, 200)),
    ("GET", "/api/v1/trades/M1/history", None, (401, 401, 200, 200, 200)),
    ("DELETE", "/api/v1/trades/D1", None, (401, 401, 403, 403, 200)),
    ("GET", "/api/v1/health", None, (401, 401, 200, 200, 200)),
    ("GET", "/api/v1/health/live", None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/health/ready", None, (200, 200, 200, 200, 200)),
    ("GET", "/api/v1/statistics", None, (401, 401, 200, 200, 200)),
    ("POST", "/api/v1/expire-trades", None, (401, 401, 403, 403, 200)),
    ("GET", "/api/v1/audit-logs", None, (401, 401, 403, 403, 200)),
    # No event store in this deployment: the admin gets 404, the others are refused before.
    ("GET", "/api/v1/events", None, (401, 401, 403, 403, 404)),
    ("GET", "/metrics", None, (401, 401, 200, 200, 200)),
    ("GET", "/", None, (200, 200, 200, 200, 200)),
    ("GET", "/openapi.json", None, (200, 200, 200, 200, 200)),
]
CALLERS = [("none", {}), ("bad", bearer(BAD))] + [(role, bearer(TOKENS[role]))
                                                  for role in ("reader", "writer", "admin")]


class AuthMatrixTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(rest_settings=token_settings(TOKENS) + "access_log = true\n"
                            "docs_dir = /nonexistent/swagger-ui\n").start()
        cls.http = cls.daemon.client
        for trade_id in ("M1", "D1"):
            r = cls.http.post("/api/v1/trades", trade(trade_id), headers=bearer(TOKENS["writer"]))
            assert r.status == 201, r

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.cleanup()

    def test_every_route_with_every_caller(self):
        # The table covers every operation of the API document.
        document = self.http.get("/openapi.json").json()
        operations = {(m.upper(), p) for p, item in document["paths"].items() for m in item}
        covered = {(m, re.sub(r"/(M1|D1)(?=/|$)", "/{trade_id}", p).replace("/book/B1", "/book/{book_id}"))
                   for m, p, _, _ in MATRIX}
        self.assertLessEqual(operations, covered, "a route is missing from MATRIX")

        failures = []
        for method, path, body, expected in MATRIX:
            for (caller, headers), status in zip(CALLERS, expected):
                r = self.http.request(method, path, body, headers=headers)
                if r.status not in (status if isinstance(status, set) else {status}):
                    failures.append(f"{method} {path} as {caller}: {r.status}, expected {status}")
        self.assertEqual(failures, [])

    def test_idempotency_keys_are_per_caller(self):
        # The same key from two tokens names two requests: neither sees the other's answer.
        answers = {}
        for role, trade_id in (("writer", "IK-W"), ("admin", "IK-A")):
            headers = {**bearer(TOKENS[role]), "Idempotency-Key": "shared-key"}
            first = self.http.post("/api/v1/trades", trade(trade_id), headers=headers)
            self.assertEqual(first.status, 201, (role, first))
            self.assertNotIn("idempotent-replayed", first.headers)
            answers[role] = (first.body, headers, trade_id)
        for role, (body, headers, trade_id) in answers.items():
            again = self.http.post("/api/v1/trades", trade(trade_id), headers=headers)
            self.assertEqual((again.status, again.body), (201, body), role)
            self.assertEqual(again.headers.get("idempotent-replayed"), "true")

    def test_refusals_say_why_in_the_api_error_shape(self):
        missing = self.http.get("/api/v1/trades")
        self.assertEqual(missing.status, 401)
        self.assertEqual(missing.headers["www-authenticate"], 'Bearer realm="tradestore"')
        self.assertEqual(missing.json(), {"detail": "Not authenticated"})
        bad = self.http.get("/api/v1/trades", headers=bearer(BAD))
        self.assertEqual(bad.headers["www-authenticate"],
                         'Bearer realm="tradestore", error="invalid_token"')
        self.assertEqual(bad.json(), {"detail": "Invalid or expired token"})
        basic = self.http.get("/api/v1/trades", headers={"Authorization": "Basic YTpi"})
        self.assertEqual(basic.status, 401)
        forbidden = self.http.delete("/api/v1/trades/M1", headers=bearer(TOKENS["writer"]))
        self.assertEqual(forbidden.status, 403)
        self.assertEqual(forbidden.json(), {"detail": "Forbidden: this operation needs the admin role"})
        self.assertIn("x-request-id", forbidden.headers)

    def test_refusals_are_logged_with_the_token_id_and_counted(self):
        self.http.get("/api/v1/audit-logs", headers=bearer(TOKENS["reader"]))
        self.http.get("/api/v1/statistics", headers=bearer(BAD))
        self.http.get("/api/v1/trades/M1", headers=bearer(TOKENS["admin"]))
        log = self.daemon.read_log()
        self.assertRegex(log, r"auth: refused 403 outcome=insufficient_role method=GET "
                              r"path=/api/v1/audit-logs token_id=reader-id client=127\.0\.0\.1:\d+")
        self.assertRegex(log, r"auth: refused 401 outcome=invalid_token method=GET "
                              r"path=/api/v1/statistics token_id=- client=127\.0\.0\.1")
        # Accepted calls name their caller in the access log.
        self.assertRegex(log, r"rest-source\.access: GET /api/v1/trades/M1 200 [0-9.]+ ms "
                              r"token_id=admin-id")
        for token in list(TOKENS.values()) + [BAD]:
            self.assertNotIn(token, log, "a token reached the log")
        metrics = self.http.get("/metrics", headers=bearer(TOKENS["reader"])).body.decode()
        for reason in ("missing_token", "invalid_token", "insufficient_role"):
            match = re.search(r'tradestore_auth_failures_total\{reason="%s"\} (\d+)' % reason, metrics)
            self.assertIsNotNone(match, reason)
            self.assertGreater(int(match.group(1)), 0, reason)

    def test_refused_writes_leave_nothing_in_the_store(self):
        admin = bearer(TOKENS["admin"])
        before = self.http.get("/api/v1/audit-logs?limit=1000", headers=admin).json()["count"]
        for headers in ({}, bearer(BAD), bearer(TOKENS["reader"])):
            self.http.post("/api/v1/trades", trade("X9"), headers=headers)
            self.http.post("/api/v1/trades/batch", [trade("X9")], headers=headers)
        after = self.http.get("/api/v1/audit-logs?limit=1000", headers=admin).json()["count"]
        self.assertEqual(after, before)
        self.assertEqual(self.http.get("/api/v1/trades/X9", headers=admin).status, 404)


def post_head(headers, length=1_000_000):
    """The header of a trade POST announcing a body of `length` bytes, sent without it."""
    fields = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (f"POST /api/v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\n{fields}\r\n").encode()


def answer_until_close(sock):
    """Everything the server sends until it closes: (status, headers, body)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip()
               for name, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ")[1]), headers, body


class EarlyRefusalTest(unittest.TestCase):
    """Access is decided on the header: a caller without a fitting token is answered and
    disconnected before it sends a body byte, and never gets 100 Continue."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(rest_settings=token_settings(TOKENS) + "access_log = true\n").start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.cleanup()

    def refused(self, headers):
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10) as s:
            s.sendall(post_head(headers))  # the megabyte never follows
            return answer_until_close(s)

    def missing_token_count(self):
        metrics = self.daemon.client.get("/metrics", headers=bearer(TOKENS["reader"])).body.decode()
        return int(re.search(r'tradestore_auth_failures_total\{reason="missing_token"\} (\d+)',
                             metrics).group(1))

    def missing_token_lines(self):
        return len(re.findall(r"auth: refused 401 outcome=missing_token method=POST "
                              r"path=/api/v1/trades token_id=- ", self.daemon.read_log()))

    def test_no_token_is_401_before_any_body_byte(self):
        logged_before = self.missing_token_lines()
        counted_before = self.missing_token_count()
        status, headers, body = self.refused({"X-Request-ID": "early-401"})
        self.assertEqual(status, 401)
        self.assertEqual(headers["www-authenticate"], 'Bearer realm="tradestore"')
        self.assertEqual(headers["connection"].lower(), "close")
        self.assertEqual(headers["x-request-id"], "early-401")
        self.assertEqual(json.loads(body), {"detail": "Not authenticated"})
        status, headers, body = self.refused(bearer(TOKENS["reader"]))
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body),
                         {"detail": "Forbidden: this operation needs the writer role"})
        self.assertEqual(self.missing_token_lines(), logged_before + 1, "logged once")
        self.assertEqual(self.missing_token_count(), counted_before + 1, "counted once")
        log = self.daemon.read_log()
        self.assertRegex(log, r"auth: refused 403 outcome=insufficient_role method=POST "
                              r"path=/api/v1/trades token_id=reader-id ")
        self.assertRegex(log, r"rest-source\.access: POST /api/v1/trades 401 ")

    def test_expect_continue_without_a_token_gets_401_and_no_continue(self):
        status, _, _ = self.refused({"Expect": "100-continue"})
        self.assertEqual(status, 401, "the first answer is the refusal, not 100 Continue")

    def test_a_writer_still_gets_continue_then_201(self):
        body = json.dumps(trade("EARLY-1")).encode()
        head = post_head({"Expect": "100-continue", "Connection": "close",
                          **bearer(TOKENS["writer"])}, len(body))
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10) as s:
            s.sendall(head)
            self.assertEqual(s.recv(25), b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(body)
            self.assertEqual(answer_until_close(s)[0], 201)


class SecureDefaultTest(unittest.TestCase):
    def test_non_loopback_without_auth_refuses_to_start(self):
        daemon = Daemon(rest_settings="host = 0.0.0.0\n")
        try:
            result = run_tradestored("--config", daemon.config_path)
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            lines = result.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, result.stderr)
            self.assertRegex(lines[0], re.escape(daemon.config_path) +
                             r":\d+: \[plugin\.rest-source\] host: listening on non-loopback "
                             r"address 0\.0\.0\.0 with authentication off.*allow_anonymous = true")
        finally:
            daemon.cleanup()

    def test_allow_anonymous_starts_with_a_warning(self):
        daemon = Daemon(rest_settings="host = 0.0.0.0\nallow_anonymous = true\n")
        try:
            daemon.start()
            self.assertEqual(daemon.client.get("/api/v1/trades").status, 200)
            self.assertRegex(daemon.read_log(), r"Warning auth: authentication is OFF on "
                                                r"non-loopback address 0\.0\.0\.0")
        finally:
            daemon.stop()
            daemon.cleanup()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(header, claims, sign):
    """A compact JWT made here (not with the daemon's library); `sign` maps bytes to bytes."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


HS_KEY = "e2e-hs256-key-of-at-least-32-bytes!!"
ISSUER = "https://idp.example"


class JwtTest(unittest.TestCase):
    """JWTs made by Python's hmac and the openssl command, verified by the daemon; probes
    protected and /metrics open by configuration."""

    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(rest_settings="")
        cls.private_key = os.path.join(cls.daemon.dir, "rsa.pem")
        public_key = os.path.join(cls.daemon.dir, "rsa.pub.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                        "-out", cls.private_key], check=True, capture_output=True)
        subprocess.run(["openssl", "pkey", "-in", cls.private_key, "-pubout", "-out", public_key],
                       check=True, capture_output=True)
        with open(cls.daemon.config_path, "a") as f:
            f.write("auth.jwt.algorithms = HS256, RS256\n"
                    f"auth.jwt.hs256_secret = {HS_KEY}\n"
                    f"auth.jwt.rs256_public_key = {public_key}\n"
                    f"auth.jwt.issuer = {ISSUER}\n"
                    "auth.jwt.audience = tradestore\n"
                    "auth.open_probes = false\n"
                    "auth.open_metrics = true\n")
        cls.daemon.start()
        cls.http = cls.daemon.client

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.daemon.cleanup()

    def claims(self, role="writer", **extra):
        claims = {"sub": "svc-loader", "iss": ISSUER, "aud": "tradestore",
                  "exp": int(time.time()) + 600, "role": role}
        claims.update(extra)
        return claims

    def hs256(self, claims, key=HS_KEY):
        return jwt({"alg": "HS256", "typ": "JWT"}, claims,
                   lambda data: hmac.new(key.encode(), data, hashlib.sha256).digest())

    def rs256(self, claims):
        return jwt({"alg": "RS256", "typ": "JWT"}, claims,
                   lambda data: subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.private_key],
                                               input=data, capture_output=True, check=True).stdout)

    def status(self, method, path, token, body=None):
        return self.http.request(method, path, body, headers=bearer(token)).status

    def test_valid_tokens_carry_their_role(self):
        self.assertEqual(self.status("POST", "/api/v1/trades", self.hs256(self.claims()), trade("J1")), 201)
        self.assertEqual(self.status("GET", "/api/v1/trades/J1", self.rs256(self.claims("reader"))), 200)
        self.assertEqual(self.status("GET", "/api/v1/audit-logs", self.rs256(self.claims("reader"))), 403)
        self.assertEqual(self.status("GET", "/api/v1/audit-logs", self.rs256(self.claims("admin"))), 200)
        self.assertRegex(self.daemon.read_log(), r"token_id=jwt:svc-loader")

    def test_forged_and_stale_tokens_are_refused(self):
        admin = self.claims("admin")
        refused = {
            "unsigned": jwt({"alg": "none", "typ": "JWT"}, admin, lambda data: b""),
            "wrong key": self.hs256(admin, key=HS_KEY + "x"),
            "expired": self.hs256(self.claims("admin", exp=int(time.time()) - 5)),
            "other issuer": self.hs256(self.claims("admin", iss="https://evil.example")),
            "other audience": self.hs256(self.claims("admin", aud="someone-else")),
            "unknown role": self.hs256(self.claims("root")),
            "HS384": jwt({"alg": "HS384", "typ": "JWT"}, admin,
                         lambda data: hmac.new(HS_KEY.encode(), data, hashlib.sha384).digest()),
        }
        for name, token in refused.items():
            r = self.http.get("/api/v1/audit-logs", headers=bearer(token))
            self.assertEqual(r.status, 401, name)
            self.assertIn('error="invalid_token"', r.headers["www-authenticate"], name)

    def test_probes_protected_and_metrics_open_by_configuration(self):
        self.assertEqual(self.http.get("/api/v1/health/live").status, 401)
        self.assertEqual(self.status("GET", "/api/v1/health/ready", self.hs256(self.claims("reader"))), 200)
        self.assertEqual(self.http.get("/metrics").status, 200)


class ReloadTest(unittest.TestCase):
    """Token A in a ${file:} secret; the file changes to token B; SIGHUP."""

    def setUp(self):
        self.daemon = Daemon(rest_settings="")
        self.secret = os.path.join(self.daemon.dir, "token.hash")
        self.write_secret("token-A-1234")
        with open(self.daemon.config_path, "a") as f:
            f.write(f"auth.tokens.ops = ${{file:{self.secret}}}\n")
        self.daemon.start()

    def tearDown(self):
        self.daemon.stop()
        self.daemon.cleanup()

    def write_secret(self, token):
        with open(self.secret, "w") as f:
            f.write(f"admin:sha256:{sha256_hex(token)}\n")

    def status(self, token):
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        try:
            conn.request("GET", "/api/v1/trades", headers=bearer(token))
            r = conn.getresponse()
            r.read()
            return r.status
        finally:
            conn.close()

    def wait_for_log(self, text):
        self.daemon.wait_for_log(text)

    def test_sighup_swaps_tokens_and_keeps_connections(self):
        self.assertEqual(self.status("token-A-1234"), 200)
        self.assertEqual(self.status("token-B-5678"), 401)
        kept = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=10)
        kept.request("GET", "/api/v1/trades", headers=bearer("token-A-1234"))
        first = kept.getresponse()
        first.read()
        self.assertEqual(first.status, 200)
        socket_before = kept.sock

        self.write_secret("token-B-5678")
        self.daemon.process.send_signal(signal.SIGHUP)
        self.wait_for_log("SIGHUP: reload of")

        self.assertEqual(self.status("token-A-1234"), 401)
        self.assertEqual(self.status("token-B-5678"), 200)
        kept.request("GET", "/api/v1/trades", headers=bearer("token-B-5678"))
        again = kept.getresponse()
        again.read()
        self.assertEqual(again.status, 200)
        self.assertIs(kept.sock, socket_before, "the keep-alive connection was not kept")
        kept.close()
        self.assertIsNone(self.daemon.process.poll(), "the daemon must survive SIGHUP")

    def test_a_bad_config_on_reload_keeps_the_running_one(self):
        with open(self.secret, "w") as f:
            f.write("admin:sha256:tooshort\n")
        with open(self.daemon.config_path, "a") as f:
            f.write("threads = 8\n")
        self.daemon.process.send_signal(signal.SIGHUP)
        self.wait_for_log("SIGHUP: config refused")
        self.assertRegex(self.daemon.read_log(),
                         r"config refused, the running one stays: .*tradestore\.ini:\d+: "
                         r"\[plugin\.rest-source\] auth\.tokens\.ops: the SHA-256 must be 64 hex")
        self.assertEqual(self.status("token-A-1234"), 200)

        self.write_secret("token-A-1234")
        self.daemon.process.send_signal(signal.SIGHUP)
        self.wait_for_log("needs restart): threads")
        self.assertEqual(self.status("token-A-1234"), 200)


if __name__ == "__main__":
    unittest.main()
