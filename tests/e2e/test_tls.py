"""HTTPS on the REST source: certificates from scripts/test-certs.sh, a minimum TLS version
that is ours (not the client's), and client certificates (mTLS). Every refusal has a positive
control that shows the same client succeeding where it should."""

import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest
import time
import warnings

from harness import Daemon

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def make_certs():
    directory = tempfile.mkdtemp(prefix="tradestore-tls-")
    subprocess.run([os.path.join(ROOT, "scripts", "test-certs.sh"), directory], check=True,
                   capture_output=True)
    # A client certificate from the unrelated CA, for the mTLS negative test.
    run = lambda *args: subprocess.run(["openssl", *args], cwd=directory, check=True,
                                       capture_output=True)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=stranger", "-keyout", "stranger.key",
        "-out", "stranger.csr")
    run("x509", "-req", "-in", "stranger.csr", "-CA", "other-ca.pem", "-CAkey", "other-ca.key",
        "-CAcreateserial", "-days", "2", "-out", "stranger.pem")
    return directory


def client_context(certs, version=None, seclevel0=False, cert=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(os.path.join(certs, "ca.pem"))
    if seclevel0:
        context.set_ciphers("ALL:@SECLEVEL=0")
    if version is not None:
        with warnings.catch_warnings():  # TLS 1.1 is deprecated: some tests use it on purpose
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = context.maximum_version = version
    if cert is not None:
        context.load_cert_chain(os.path.join(certs, cert + ".pem"), os.path.join(certs, cert + ".key"))
    return context


def https_get(port, context, path="/api/v1/health/live"):
    """The status of GET path over TLS; raises ssl.SSLError/OSError when refused."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    if not data.startswith(b"HTTP/1.1 "):
        raise ConnectionError(f"no HTTP answer: {data[:60]!r}")
    return int(data.split(b" ")[1])


def tls_daemon(certs, extra=""):
    return Daemon(rest_settings=(
        f"tls.certificate = {certs}/server.pem\ntls.private_key = {certs}/server.key\n{extra}")).start()


class HttpsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = make_certs()
        cls.daemon = tls_daemon(cls.certs)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.daemon.stop_cleanly()
        finally:
            shutil.rmtree(cls.certs, ignore_errors=True)

    def test_https_works_with_the_ca(self):
        self.assertEqual(https_get(self.daemon.port, client_context(self.certs)), 200)
        self.assertIn(f"listening on https://127.0.0.1:{self.daemon.port}", self.daemon.read_log())

    def test_curl_with_the_ca(self):
        if shutil.which("curl") is None:
            if os.environ.get("CI") == "true":
                self.fail("curl not installed (scripts/install-deps.sh test installs it)")
            self.skipTest("curl not installed")
        r = subprocess.run(["curl", "-sS", "--cacert", f"{self.certs}/ca.pem", "-o", "/dev/null",
                            "-w", "%{http_code}", f"https://127.0.0.1:{self.daemon.port}/api/v1/health"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.stdout, "200", r.stderr)

    def test_plain_http_on_the_tls_port_gets_no_http_answer(self):
        with socket.create_connection(("127.0.0.1", self.daemon.port), timeout=10) as s:
            s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            data = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
        self.assertFalse(data.startswith(b"HTTP/"), data[:80])

    def test_client_initiated_renegotiation_is_refused(self):
        # Renegotiation costs the server a handshake per client request (a cheap DoS) and mixes
        # two sessions on one connection; OpenSSL 3 refuses it unless a server allows it.
        if shutil.which("openssl") is None:
            if os.environ.get("CI") == "true":
                self.fail("openssl not installed (scripts/install-deps.sh test installs it)")
            self.skipTest("openssl not installed")
        request = b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        # s_client renegotiates on a line that is just "R" (only without -ign_eof, which the
        # control needs to wait for its answer).
        control = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.daemon.port}",
                                  "-tls1_2", "-CAfile", f"{self.certs}/ca.pem", "-ign_eof"],
                                 input=request, capture_output=True, timeout=30)
        self.assertIn(b"HTTP/1.1 200", control.stdout, "positive control: served without R")
        attempt = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{self.daemon.port}",
                                  "-tls1_2", "-CAfile", f"{self.certs}/ca.pem", "-no_ign_eof"],
                                 input=b"R\n" + request, capture_output=True, timeout=30)
        self.assertIn(b"RENEGOTIATING", attempt.stderr + attempt.stdout)
        self.assertIn(b"no renegotiation", attempt.stderr + attempt.stdout)
        self.assertNotIn(b"HTTP/1.1 200", attempt.stdout)
        self.assertEqual(https_get(self.daemon.port, client_context(self.certs)), 200,
                         "the daemon serves on after the refusal")

    def test_tls_1_1_is_refused_by_the_server_not_by_the_client(self):
        # That it is our tls.min_version which decides is shown by MinimumVersionTest.
        old = client_context(self.certs, ssl.TLSVersion.TLSv1_1, seclevel0=True)
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            https_get(self.daemon.port, old)
        # Positive control 1: the same client completes a TLS 1.1 handshake with a server that
        # allows it, so the refusal above is not the client's own defaults.
        self.assertEqual(handshake_with_permissive_server(self.certs, old), "TLSv1.1")
        # Positive control 2: the same client settings, TLS 1.2, are served by the daemon.
        self.assertEqual(https_get(self.daemon.port, client_context(
            self.certs, ssl.TLSVersion.TLSv1_2, seclevel0=True)), 200)


def handshake_with_permissive_server(certs, client):
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(os.path.join(certs, "server.pem"), os.path.join(certs, "server.key"))
    server.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server.minimum_version = ssl.TLSVersion.TLSv1_1
    with socket.create_server(("127.0.0.1", 0)) as listener:
        def accept():
            conn, _ = listener.accept()
            try:
                server.wrap_socket(conn, server_side=True).close()
            except (ssl.SSLError, OSError):
                conn.close()
        thread = threading.Thread(target=accept)
        thread.start()
        try:
            with socket.create_connection(listener.getsockname(), timeout=10) as raw:
                with client.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                    return s.version()
        finally:
            thread.join(10)


class MinimumVersionTest(unittest.TestCase):
    def test_min_version_tls13_refuses_a_tls12_client(self):
        certs = make_certs()
        daemon = tls_daemon(certs, "tls.min_version = TLSv1.3\n")
        try:
            tls12 = client_context(certs, ssl.TLSVersion.TLSv1_2)
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                https_get(daemon.port, tls12)
            self.assertEqual(https_get(daemon.port, client_context(certs, ssl.TLSVersion.TLSv1_3)),
                             200)
        finally:
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()
        # Positive control: the default minimum (TLSv1.2) serves the same TLS 1.2 client.
        daemon = tls_daemon(certs)
        try:
            self.assertEqual(https_get(daemon.port, tls12), 200)
        finally:
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()
            shutil.rmtree(certs, ignore_errors=True)


class MutualTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = make_certs()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.certs, ignore_errors=True)

    def with_daemon(self, client_auth, check):
        daemon = tls_daemon(self.certs, f"tls.ca = {self.certs}/ca.pem\ntls.client_auth = {client_auth}\n")
        try:
            check(daemon.port)
        finally:
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()

    def assert_refused(self, port, context):
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            https_get(port, context)

    def test_required_client_certificate(self):
        def check(port):
            self.assert_refused(port, client_context(self.certs))
            self.assert_refused(port, client_context(self.certs, cert="stranger"))
            self.assertEqual(https_get(port, client_context(self.certs, cert="client")), 200)
            # TLS 1.2 asks for the certificate inside the handshake, TLS 1.3 after it: both.
            self.assert_refused(port, client_context(self.certs, ssl.TLSVersion.TLSv1_2))
            self.assertEqual(https_get(port, client_context(
                self.certs, ssl.TLSVersion.TLSv1_2, cert="client")), 200)
        self.with_daemon("required", check)

    def test_optional_client_certificate(self):
        def check(port):
            self.assertEqual(https_get(port, client_context(self.certs)), 200)
            self.assertEqual(https_get(port, client_context(self.certs, cert="client")), 200)
            self.assert_refused(port, client_context(self.certs, cert="stranger"))
        self.with_daemon("optional", check)


class TlsConfigErrorTest(unittest.TestCase):
    def test_a_minimum_below_tls12_is_a_config_error(self):
        daemon = Daemon(rest_settings="tls.min_version = TLSv1.1\n")
        try:
            daemon.start(wait=False)
            self.assertNotEqual(daemon.process.wait(timeout=30), 0)
            # One line naming the file, the line, the section and the key (check_settings).
            self.assertRegex(daemon.read_log(),
                             r"tradestore\.ini:\d+: \[plugin\.rest-source\] tls\.min_version: "
                             r"TLSv1\.1 is not allowed; the lowest is TLSv1\.2")
        finally:
            daemon.stop()
            daemon.cleanup()

    def test_missing_key_file_is_one_clear_line(self):
        certs = make_certs()
        daemon = Daemon(rest_settings=(f"tls.certificate = {certs}/server.pem\n"
                                       f"tls.private_key = {certs}/nope.key\n"))
        try:
            daemon.start(wait=False)
            code = daemon.process.wait(timeout=30)
            self.assertNotEqual(code, 0)
            self.assertIn("rest-source: TLS setup failed", daemon.read_log())
        finally:
            daemon.stop()
            daemon.cleanup()
            shutil.rmtree(certs, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()


def peer_certificate(port, certs):
    """The DER certificate the server presents to a new connection (verified against the CA)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with client_context(certs).wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


class TlsReloadOnSighupTest(unittest.TestCase):
    def test_sighup_serves_a_renewed_certificate_and_keeps_open_connections(self):
        certs = make_certs()
        live = tempfile.mkdtemp(prefix="tradestore-tls-live-")
        for name in ("server.pem", "server.key"):
            shutil.copy(os.path.join(certs, name), live)
        daemon = Daemon(rest_settings=(f"tls.certificate = {live}/server.pem\n"
                                       f"tls.private_key = {live}/server.key\n")).start()
        try:
            before = peer_certificate(daemon.port, certs)
            # A keep-alive connection opened under the old certificate.
            raw = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
            kept = client_context(certs).wrap_socket(raw, server_hostname="127.0.0.1")
            request = b"GET /api/v1/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
            kept.sendall(request)
            self.assertTrue(kept.recv(65536).startswith(b"HTTP/1.1 200"))

            # Renewed in place: a new key and certificate from the same CA, then SIGHUP.
            run = lambda *args: subprocess.run(["openssl", *args], cwd=live, check=True,
                                               capture_output=True)
            with open(os.path.join(live, "san.ext"), "w") as f:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=renewed", "-keyout",
                "new.key", "-out", "new.csr")
            run("x509", "-req", "-in", "new.csr", "-CA", os.path.join(certs, "ca.pem"), "-CAkey",
                os.path.join(certs, "ca.key"), "-CAcreateserial", "-days", "2", "-extfile",
                "san.ext", "-out", "new.pem")
            os.replace(os.path.join(live, "new.key"), os.path.join(live, "server.key"))
            os.replace(os.path.join(live, "new.pem"), os.path.join(live, "server.pem"))
            self.assertEqual(peer_certificate(daemon.port, certs), before,
                             "control: without SIGHUP the old certificate is still served")
            daemon.process.send_signal(signal.SIGHUP)

            deadline = time.monotonic() + 20
            after = before
            while after == before and time.monotonic() < deadline:
                time.sleep(0.2)
                after = peer_certificate(daemon.port, certs)
            self.assertNotEqual(after, before, "SIGHUP did not load the renewed certificate")
            self.assertIn("TLS certificate and keys reloaded", daemon.read_log())
            # The connection opened before the reload is still served.
            kept.sendall(request)
            self.assertTrue(kept.recv(65536).startswith(b"HTTP/1.1 200"))
            kept.close()
            self.assertIsNone(daemon.process.poll(), "the daemon must survive SIGHUP")
        finally:
            daemon.stop()
            daemon.cleanup()
            shutil.rmtree(certs, ignore_errors=True)
            shutil.rmtree(live, ignore_errors=True)
