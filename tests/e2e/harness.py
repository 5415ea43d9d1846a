"""Starts the real tradestored binary on a free loopback port with a temporary config and
talks to it over HTTP. Used by every end-to-end test; nothing here is mocked."""

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

TRADESTORED = os.environ.get("TRADESTORED", "")
PLUGIN_DIR = os.environ.get("TRADESTORE_PLUGIN_DIR", "")
BUSINESS_DATE = "2026-11-24"
# The same suites run on every store: "sqlite" (default) or "postgres", whose server URI the
# postgres_server CTest fixture writes to TRADESTORE_PG_URI_FILE.
STORE = os.environ.get("TRADESTORE_E2E_STORE", "sqlite")
STORE_PLUGIN = f"{STORE}-store"
STORE_SERVICE = STORE


def postgres_database_uri(key):
    """A database of its own on the test server for one data directory (created if absent), so
    a restarted daemon on the same data directory finds its trades again."""
    from urllib.parse import urlsplit, urlunsplit
    with open(os.environ["TRADESTORE_PG_URI_FILE"]) as f:
        server = f.read().strip()
    name = "e2e_" + hashlib.sha1(key.encode()).hexdigest()[:16]
    parts = urlsplit(server)
    admin = urlunsplit(parts._replace(path="/postgres"))
    exists = subprocess.run(["psql", admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                            capture_output=True, text=True, check=True).stdout.strip()
    if exists != "1":
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], capture_output=True, check=True)
    return urlunsplit(parts._replace(path="/" + name))


def store_section(data_dir):
    if STORE == "postgres":
        return f"[plugin.postgres-store]\nuri = {postgres_database_uri(data_dir)}\npool_size = 4\n"
    return f"[plugin.sqlite-store]\npath = {data_dir}/trades.db\nsynchronous = normal\n"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


class Client:
    def __init__(self, port):
        self.port = port
        self.conn = None

    def request(self, method, path, body=None, headers=None, raw=False):
        headers = dict(headers or {})
        if body is not None and not raw:
            body = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
            except (ConnectionError, http.client.RemoteDisconnected, BrokenPipeError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Daemon:
    """One tradestored process with its own temp dir, database and port."""

    def __init__(self, extra_kernel="", rest_settings="", plugins=None, sections="",
                 business_date=BUSINESS_DATE, data_dir=None, port=None, store_config=None,
                 store_settings=""):
        if not TRADESTORED or not PLUGIN_DIR:
            raise RuntimeError("TRADESTORED and TRADESTORE_PLUGIN_DIR must be set")
        self.dir = tempfile.mkdtemp(prefix="tradestore-e2e-")
        self.data_dir = data_dir or self.dir
        self.port = port or free_port()
        self.plugins = [STORE_PLUGIN if p == "sqlite-store" else p for p in
                        (plugins or ["trade-rules", "sqlite-store", "rest-source", "expiry-scheduler"])]
        self.config_path = os.path.join(self.dir, "tradestore.ini")
        self.log_path = os.path.join(self.dir, "daemon.log")
        date_line = f"business_date = {business_date}\n" if business_date else ""
        with open(self.config_path, "w") as f:
            f.write(
                "[kernel]\n"
                f"plugin_dir = {PLUGIN_DIR}\n"
                f"plugins = {', '.join(self.plugins)}\n"
                f"{date_line}{extra_kernel}\n"
                f"{store_config or store_section(self.data_dir)}{store_settings}"
                "[plugin.rest-source]\n"
                f"port = {self.port}\n"
                f"{rest_settings}\n"
                f"{sections}\n"
            )
        self.process = None
        self.client = Client(self.port)

    def start(self, args=(), wait=True):
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen([TRADESTORED, "--config", self.config_path, *args],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tradestored exited with {self.process.returncode}:\n{self.read_log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("tradestored did not start listening:\n" + self.read_log())

    def stop(self, sig=signal.SIGTERM, timeout=60):
        self.client.close()
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
        code = self.process.wait(timeout=timeout)
        self.log.close()
        self.process = None
        return code

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def wait_for_log(self, text, timeout=10):
        """Polls the daemon's log until `text` appears; fails with the log's tail if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.read_log():
                return
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged:\n{self.read_log()[-3000:]}")

    def cleanup(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def stop_cleanly(self):
        """Stops with SIGTERM, removes the temp dir, and fails unless the exit was clean."""
        code = self.stop()
        log = self.read_log()
        self.cleanup()
        assert code == 0, f"daemon exited with {code}:\n{log}"
        return log


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def eventually(condition, what, timeout=20, interval=0.05):
    """Calls `condition` until it returns a true value, which it returns; fails after `timeout`
    seconds, naming `what`. The one poll of the Python suites (tests/kafka and tests/mongo
    import this module too)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def require_tool(test, name):
    """The path of the program `name`; without it the test skips, or fails when CI=true."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (scripts/install-deps.sh test installs it)"
        if IN_CI:
            test.fail(message)
        test.skipTest(message)
    return path


def run_tradestored(*args, timeout=30):
    """Runs tradestored to completion (--check-config, --list-plugins, a failing start)."""
    return subprocess.run([TRADESTORED, *args], capture_output=True, text=True, timeout=timeout)


def trade(trade_id="T1", version=1, maturity="2026-12-20", book="B1", cp="CP-1", **extra):
    body = {"trade_id": trade_id, "version": version, "counter_party_id": cp,
            "book_id": book, "maturity_date": maturity}
    body.update(extra)
    return body
