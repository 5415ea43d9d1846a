"""tradestorectl against a secured daemon (bearer tokens and HTTPS with a private CA): the token
on every request from --token, --token-file or the environment, one clear line and exit 4 at
the first 401/403 with nothing sent after it, the token never printed, TLS verified against
--cacert (a wrong CA refused), and no plain HTTP on an https:// URL."""

import json
import os
import shutil
import subprocess
import unittest

from harness import Daemon, trade
from test_auth import TOKENS, BAD, token_settings
from test_tls import make_certs, tls_daemon

CTL = os.environ.get("TRADESTORECTL", "")


class SecuredCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = make_certs()
        cls.addClassCleanup(shutil.rmtree, cls.certs, ignore_errors=True)
        cls.daemon = tls_daemon(cls.certs, token_settings(TOKENS))
        cls.url = f"https://127.0.0.1:{cls.daemon.port}"
        cls.token_files = {}
        for role, token in TOKENS.items():
            path = os.path.join(cls.daemon.dir, f"{role}.token")
            with open(path, "w") as f:
                f.write(token + "\n")
            os.chmod(path, 0o600)
            cls.token_files[role] = path

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop_cleanly()

    def ctl(self, *args, env=None, cacert="ca.pem"):
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TRADESTORE_")}
        environment.update(env or {})
        tls = ["--cacert", os.path.join(self.certs, cacert)] if cacert else []
        r = subprocess.run([CTL, "--url", self.url, *tls, *args], capture_output=True, text=True,
                           timeout=120, env=environment)
        for token in TOKENS.values():
            self.assertNotIn(token, r.stdout + r.stderr, "a token is never printed")
        return r

    def batch_requests(self):
        """POST /trades/batch requests the daemon answered, by status, from its own counter."""
        r = self.ctl("--token-file", self.token_files["reader"], "metrics", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        routes = json.loads(r.stdout)["routes"]
        return sum(route["requests"] for route in routes
                   if route["route"] == "/api/v1/trades/batch")

    def test_the_token_goes_on_every_request_from_each_source(self):
        reader = TOKENS["reader"]
        for args, env in ((["--token", reader], {}),
                          (["--token-file", self.token_files["reader"]], {}),
                          ([], {"TRADESTORE_TOKEN": reader}),
                          ([], {"TRADESTORE_TOKEN_FILE": self.token_files["reader"]}),
                          ([], {"TRADESTORE_METRICS_TOKEN": reader})):
            for command in (["health"], ["stats"], ["metrics"], ["snapshot", "--as-of",
                                                                 "2099-01-01"]):
                r = self.ctl(*args, *command, env=env)
                self.assertEqual(r.returncode, 0, (args, env.keys(), command, r.stderr))
        # The command line comes first, then the environment.
        r = self.ctl("--token", BAD, "stats", env={"TRADESTORE_TOKEN": reader})
        self.assertEqual(r.returncode, 4, r.stderr)
        r = self.ctl("--token-file", self.token_files["reader"], "stats",
                     env={"TRADESTORE_TOKEN": BAD})
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.ctl("stats", env={"TRADESTORE_TOKEN": reader, "TRADESTORE_METRICS_TOKEN": BAD})
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_401_and_403_stop_with_one_line(self):
        for args, status, hint in ((["stats"], 401, "--token-file"),
                                   (["--token", BAD, "health"], 401, "does not accept this token"),
                                   (["--token-file", self.token_files["writer"], "expire"], 403,
                                    "role")):
            r = self.ctl(*args)
            self.assertEqual(r.returncode, 4, (args, r.stderr))
            self.assertEqual(r.stdout, "")
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(f"HTTP {status}", r.stderr)
            self.assertIn(hint, r.stderr)

    def test_an_import_refused_sends_nothing_more(self):
        path = os.path.join(self.daemon.dir, "refused.jsonl")
        with open(path, "w") as f:
            f.write("".join(json.dumps(trade(f"REF-{i}")) + "\n" for i in range(5)))
        before = self.batch_requests()
        r = self.ctl("--token-file", self.token_files["reader"], "import", path,
                     "--batch-size", "1")
        self.assertEqual(r.returncode, 4, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn("POST /api/v1/trades/batch: HTTP 403", r.stderr)
        self.assertEqual(self.batch_requests(), before + 1, "one request, then nothing")
        r = self.ctl("--token-file", self.token_files["writer"], "import", path, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["accepted"], {"total": 5, "created": 5})

    def test_tls_is_verified_against_the_given_ca(self):
        writer = ["--token-file", self.token_files["writer"]]
        r = self.ctl(*writer, "stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        for cacert in ("other-ca.pem", None):  # an unrelated CA; the system's CAs
            r = self.ctl(*writer, "stats", cacert=cacert)
            self.assertEqual(r.returncode, 1, (cacert, r.stdout, r.stderr))
            self.assertEqual(r.stdout, "")
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
            self.assertIn(f"TLS with 127.0.0.1:{self.daemon.port} failed", r.stderr)
        # The same port over plain HTTP gets no answer (the server speaks only TLS).
        plain = subprocess.run([CTL, "--url", f"http://127.0.0.1:{self.daemon.port}", *writer,
                                "stats"], capture_output=True, text=True, timeout=120)
        self.assertEqual(plain.returncode, 1, plain.stdout + plain.stderr)

    def test_a_certificate_for_another_name_is_refused(self):
        """Signed by the trusted CA, but for elsewhere.example, not 127.0.0.1 or localhost."""
        run = lambda *args: subprocess.run(["openssl", *args], cwd=self.certs, check=True,
                                           capture_output=True)
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=elsewhere.example", "-keyout",
            "elsewhere.key", "-out", "elsewhere.csr")
        with open(os.path.join(self.certs, "elsewhere.ext"), "w") as f:
            f.write("subjectAltName=DNS:elsewhere.example\nextendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", "elsewhere.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "elsewhere.ext", "-out", "elsewhere.pem")
        daemon = Daemon(rest_settings=f"tls.certificate = {self.certs}/elsewhere.pem\n"
                                      f"tls.private_key = {self.certs}/elsewhere.key\n").start()
        try:
            for host in ("127.0.0.1", "localhost"):
                r = subprocess.run([CTL, "--url", f"https://{host}:{daemon.port}", "--cacert",
                                    os.path.join(self.certs, "ca.pem"), "stats"],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(r.returncode, 1, (host, r.stdout, r.stderr))
                self.assertIn(f"Unacceptable certificate from {host}", r.stderr)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        finally:
            daemon.stop_cleanly()


if __name__ == "__main__":
    unittest.main()
