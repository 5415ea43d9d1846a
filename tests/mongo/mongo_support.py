"""What the Python MongoDB tests share: where the test server is, a scratch database read and
written through mongo_tool (Python's standard library has no MongoDB driver), a daemon with
the mongo-audit plugin, and a private FerretDB (or a cut-able proxy) for outage tests."""

import datetime
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import harness  # noqa: E402  (the e2e harness: Daemon, Client, trade)

TOOL = os.environ.get("TRADESTORE_MONGO_TOOL", "")
STATE_DIR = os.environ.get("TRADESTORE_MONGO_STATE_DIR", "")
FERRETDB_SCRIPT = os.environ.get("TRADESTORE_FERRETDB_SCRIPT", "")
PLUGINS = ["trade-rules", "sqlite-store", "rest-source", "expiry-scheduler", "mongo-audit"]


def in_ci():
    return os.environ.get("CI", "") == "true"


def server_uri():
    """TRADESTORE_TEST_MONGO_URI, else the URI the mongo_server fixture wrote, else ''."""
    uri = os.environ.get("TRADESTORE_TEST_MONGO_URI", "")
    if uri:
        return uri
    try:
        with open(os.path.join(STATE_DIR, "uri")) as f:
            return f.read().strip()
    except OSError:
        return ""


def require_server(test):
    """Skips the test without a server, or fails it with CI=true."""
    if not TOOL:
        raise RuntimeError("TRADESTORE_MONGO_TOOL must be set")
    if server_uri():
        return
    if in_ci():
        test.fail("no MongoDB test server (CI=true): see scripts/ferretdb-test-server.sh")
    raise unittest.SkipTest("no MongoDB test server: set TRADESTORE_TEST_MONGO_URI or install Go 1.24+")


def to_millis(iso):
    """Milliseconds since the epoch of an ISO 8601 UTC time ('...Z' or '+00:00')."""
    value = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    delta = value - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def date(millis):
    """An extended-JSON date."""
    return {"$date": {"$numberLong": str(millis)}}


def _decode(value):
    """Relaxed extended JSON to plain Python: dates become milliseconds."""
    if isinstance(value, dict):
        if set(value) == {"$date"}:
            inner = value["$date"]
            if isinstance(inner, dict):
                return int(inner["$numberLong"])
            return to_millis(inner)
        if set(value) == {"$numberLong"}:
            return int(value["$numberLong"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


class Mongo:
    """One database on the test server, through mongo_tool."""

    def __init__(self, uri, database):
        self.uri = uri
        self.database = database

    def _run(self, *args, stdin=None):
        result = subprocess.run([TOOL, self.uri, self.database, *args], input=stdin,
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"mongo_tool {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def ping(self):
        try:
            self._run("ping")
            return True
        except AssertionError:
            return False

    def find(self, collection, filter=None, sort=None):
        out = self._run("find", collection, json.dumps(filter or {}),
                        json.dumps(sort or {"_id": 1}))
        return [_decode(json.loads(line)) for line in out.splitlines() if line.strip()]

    def count(self, collection, filter=None):
        return int(self._run("count", collection, json.dumps(filter or {})).strip())

    def insert(self, collection, documents):
        self._run("insert", collection, stdin="".join(json.dumps(d) + "\n" for d in documents))

    def drop(self):
        self._run("drop")


def scratch_database(test):
    """A database of its own for `test`, dropped when it ends."""
    mongo = Mongo(server_uri(), "tradestore_e2e_" + uuid.uuid4().hex[:12])
    if not mongo.ping():
        test.fail("the MongoDB test server does not answer")
    test.addCleanup(mongo.drop)
    return mongo


def mongo_daemon(test, mongo, uri=None, settings="interval = 200ms", **kw):
    """A tradestored with sqlite-store, rest-source, expiry-scheduler and mongo-audit shipping
    to `mongo` (or to `uri` with mongo's database); cleaned up when the test ends."""
    section = ("[plugin.mongo-audit]\n"
               f"uri = {uri or mongo.uri}\n"
               f"database = {mongo.database}\n"
               f"{settings}\n")
    daemon = harness.Daemon(plugins=kw.pop("plugins", PLUGINS), sections=section + kw.pop("sections", ""),
                            **kw)
    test.addCleanup(daemon.cleanup)
    test.addCleanup(daemon.stop)  # runs first: a clean stop, its log file closed
    return daemon


def store_audit(client, trade_id=None):
    """Every audit entry the store holds, in id order, through GET /audit-logs."""
    entries = []
    while True:
        path = f"/api/v1/audit-logs?skip={len(entries)}&limit=1000"
        if trade_id:
            path += f"&trade_id={urllib.parse.quote(trade_id)}"
        r = client.get(path)
        assert r.status == 200, r
        page = r.json()["logs"]
        entries.extend(page)
        if len(page) < 1000:
            return sorted(entries, key=lambda e: e["id"])


def metric(client, name):
    """The value of an unlabelled metric from GET /metrics, or None when the daemon exposes no
    metrics or not this one."""
    r = client.get("/metrics")
    if r.status != 200:
        return None
    for line in r.body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def wait_until(predicate, timeout, what, interval=0.2):
    """harness.eventually with the mongo suites' argument order and interval."""
    return harness.eventually(predicate, what, timeout, interval)


def wait_shipped(test, mongo, client, timeout=120):
    """Waits until audit_logs holds as many documents as the store has entries; returns the
    store's entries."""
    entries = store_audit(client)
    wait_until(lambda: mongo.count("audit_logs") >= len(entries), timeout,
               f"{len(entries)} audit entries in MongoDB (have {mongo.count('audit_logs')})")
    return entries


def assert_same_entries(test, documents, entries):
    """audit_logs documents (sorted by _id) are exactly the store's entries, field by field."""
    test.assertEqual([d["_id"] for d in documents], [e["id"] for e in entries])
    for doc, entry in zip(documents, entries):
        details = entry["details"]
        test.assertEqual(doc["trade_id"], entry["trade_id"], doc)
        test.assertEqual(doc["action"], entry["action"], doc)
        test.assertEqual(doc["status"], entry["status"], doc)
        test.assertEqual(doc["source"], details["source"], doc)
        test.assertEqual(doc["details"], {
            "reason_codes": details["reason_codes"],
            "message": details["message"],
            "received_version": details["received_version"],
            "stored_version": details["stored_version"],
            "reference": details["reference"],
        }, doc)
        test.assertEqual(doc["timestamp"], to_millis(entry["timestamp"]), doc)
        test.assertEqual(set(doc), {"_id", "trade_id", "action", "status", "details", "source",
                                    "timestamp"})


class FerretServer:
    """A FerretDB of the test's own, which it can stop and start again on the same port. With
    tls=True it takes TLS connections with SCRAM credentials only (ferretdb-test-server.sh
    start-tls): its uri carries tls=true and the CA but no credentials; the user is
    `tradestore` with `password`, and `certs` is the folder of the test CA's files."""

    def __init__(self, tls=False):
        self.state = tempfile.mkdtemp(prefix="tradestore-ferret-state-")
        self._script("start-tls" if tls else "start")
        with open(os.path.join(self.state, "uri")) as f:
            self.uri = f.read().strip()
        self.certs = os.path.join(self.state, "certs")
        self.password = ""
        if tls:
            with open(os.path.join(self.state, "password")) as f:
                self.password = f.read().strip()

    def _script(self, command):
        result = subprocess.run([FERRETDB_SCRIPT, command, self.state], capture_output=True,
                                text=True, timeout=900)
        if result.returncode != 0:
            raise AssertionError(f"ferretdb-test-server.sh {command}: {result.stderr}")

    def stop(self):
        self._script("pause")

    def start(self):
        self._script("resume")

    def cleanup(self):
        self._script("stop")
        shutil.rmtree(self.state, ignore_errors=True)


class CutProxy:
    """A TCP proxy in front of an external server that can cut every connection and refuse
    new ones, so an outage can be played against a server the test does not own."""

    def __init__(self, upstream_uri):
        parts = urllib.parse.urlsplit(upstream_uri)
        host_port = parts.netloc.rsplit("@", 1)[-1].split(",")[0]
        host, _, port = host_port.rpartition(":") if ":" in host_port else (host_port, "", "27017")
        self.upstream = (host.strip("[]"), int(port))
        self.port = harness.free_port()
        credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        query = parts.query + ("&" if parts.query else "") + "directConnection=true"
        self.uri = urllib.parse.urlunsplit(
            (parts.scheme, f"{credentials}127.0.0.1:{self.port}", parts.path or "/", query, ""))
        self.lock = threading.Lock()
        self.connections = []
        self.listener = None
        self.running = True
        self.start()
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def start(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        with self.lock:
            self.listener = listener

    def stop(self):
        with self.lock:
            listener, self.listener = self.listener, None
            connections, self.connections = self.connections, []
        if listener:
            listener.close()
        for s in connections:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def cleanup(self):
        self.running = False
        self.stop()

    def _accept_loop(self):
        while self.running:
            with self.lock:
                listener = self.listener
            if listener is None:
                time.sleep(0.05)
                continue
            ready, _, _ = select.select([listener], [], [], 0.1)
            if not ready:
                continue
            try:
                client, _ = listener.accept()
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                continue
            with self.lock:
                self.connections += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        sockets = [a, b]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 1)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except (OSError, ValueError):
            return
        finally:
            for s in sockets:
                try:
                    s.close()
                except OSError:
                    pass
