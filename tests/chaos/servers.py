"""The fault suite's servers: the Kafka broker (scripts/kafka-test-broker.sh; restarted in
place, on its ports and data), a private PostgreSQL server (scripts/pg-test-server.sh;
restarted fast or immediate), and what a store holds, read back into the oracle's terms
(sqlite3 directly, PostgreSQL through psql). Standard library only."""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

from oracle import AuditEntry, Payload

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
KAFKA_SCRIPT = os.path.join(ROOT, "scripts", "kafka-test-broker.sh")
PG_SCRIPT = os.path.join(ROOT, "scripts", "pg-test-server.sh")


def missing_server(message):
    """No server: a failure (the suite never skips quietly)."""
    raise RuntimeError(message + ("" if os.environ.get("CI") != "true"
                                  else " (CI=true: a missing server is a failure)"))


def wait_port(port, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Broker:
    """The broker whose state dir the kafka fixture (or this suite) filled; started here when
    it holds none, and then stopped by stop()."""

    def __init__(self, state_dir):
        self.state = state_dir
        self.started_here = False
        os.makedirs(state_dir, exist_ok=True)
        if not os.path.exists(self._file("bootstrap")):
            subprocess.run([KAFKA_SCRIPT, "start", state_dir], check=True)
            self.started_here = True
        if not os.path.exists(self._file("bootstrap")):
            missing_server("no Kafka broker (java or mvn missing?)")
        with open(self._file("bootstrap")) as f:
            self.address = f.read().strip()

    def _file(self, name):
        return os.path.join(self.state, name)

    def restart(self):
        """SIGTERM (a controlled shutdown), then the same command line again on the same data."""
        if not os.path.exists(self._file("pid")):
            raise RuntimeError("the broker was not started by scripts/kafka-test-broker.sh "
                               "(TRADESTORE_TEST_KAFKA_BROKERS?): it cannot be restarted here")
        with open(self._file("pid")) as f:
            pid = int(f.read())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode() for a in f.read().split(b"\0") if a]
        cwd = os.readlink(f"/proc/{pid}/cwd")
        with open(self._file("dir")) as f:
            data_dir = f.read().strip()
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
            try:  # our child when we started it: reap it
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            time.sleep(0.1)
        if os.path.exists(f"/proc/{pid}"):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.5)
        with open(os.path.join(data_dir, "stdout.log"), "ab") as log:
            process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        with open(self._file("pid"), "w") as f:
            f.write(f"{process.pid}\n")
        port = int(self.address.rsplit(":", 1)[1])
        if not wait_port(port, 120):
            raise RuntimeError("the restarted broker did not listen in 120 s")

    def stop(self):
        if self.started_here:
            subprocess.run([KAFKA_SCRIPT, "stop", self.state], check=False)


class PgServer:
    """A PostgreSQL server of the suite's own (it restarts it), one database per scenario."""

    def __init__(self):
        self.state = tempfile.mkdtemp(prefix="tradestore-chaos-pg-")
        env = {k: v for k, v in os.environ.items() if k != "TRADESTORE_TEST_PG_URI"}
        subprocess.run([PG_SCRIPT, "start", self.state], check=True, env=env)
        if not os.path.exists(self._file("uri")):
            missing_server("no PostgreSQL server binaries (install postgresql-15)")
        self.uri = self._read("uri")
        self.port = int(self._read("port"))

    def _file(self, name):
        return os.path.join(self.state, name)

    def _read(self, name):
        with open(self._file(name)) as f:
            return f.read().strip()

    def database(self, name):
        admin = self.uri.rsplit("/", 1)[0] + "/postgres"
        subprocess.run(["psql", "-X", "-q", admin, "-c", f"CREATE DATABASE {name}"], check=True,
                       capture_output=True)
        return self.uri.rsplit("/", 1)[0] + "/" + name

    def _pg_ctl(self, *args):
        command = [os.path.join(self._read("bindir"), "pg_ctl"), "-D",
                   os.path.join(self._read("dir"), "data"), *args]
        if os.getuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def restart(self, mode, down_seconds=1.0):
        """Stops the server (-m fast: clients are disconnected, a checkpoint; -m immediate:
        a crash, recovery at start) and starts it again on the same port."""
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop")
        time.sleep(down_seconds)
        self._pg_ctl("-l", os.path.join(self._read("dir"), "server.log"), "-w", "-t", "60",
                     "start")

    def stop(self):
        subprocess.run([PG_SCRIPT, "stop", self.state], check=False)
        shutil.rmtree(self.state, ignore_errors=True)


# --- reading a store back -----------------------------------------------------------------------

TRADES_SQL = "SELECT trade_id, version, counter_party_id, book_id, maturity_date FROM trades"
AUDIT_SQL = ("SELECT reference, source, action, reason_codes, trade_id, received_version "
             "FROM audit_log ORDER BY id")
# Version entries (the trade history): the trade's columns and recorded_at in microseconds,
# oldest first ({micros}: the store's expression for that).
HISTORY_SQL = ("SELECT trade_id, coalesce(received_version, stored_version), counter_party_id, "
               "book_id, maturity_date, action, {micros} FROM audit_log "
               "WHERE recorded_at IS NOT NULL ORDER BY id")
TOMBSTONES_SQL = "SELECT trade_id, version FROM trade_tombstones"
POSITIONS_SQL = ('SELECT "partition", "offset" FROM source_positions '
                 "WHERE source = 'kafka' AND stream = '{topic}'")


class SqliteStore:
    RECORDED_MICROS = "recorded_at"

    def __init__(self, path):
        self.path = path

    def query(self, sql):
        if not os.path.exists(self.path):
            return []
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)
        con.text_factory = lambda b: b.decode(errors="surrogateescape")
        try:
            return con.execute(sql).fetchall()
        except sqlite3.OperationalError:
            return []  # the schema is not there yet
        finally:
            con.close()

    def execute(self, sql, triggers=False):
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.executescript(sql)
        finally:
            con.close()


class PgStore:
    SEP, END = "\x1f", "\x1e"
    RECORDED_MICROS = "(EXTRACT(EPOCH FROM recorded_at) * 1000000)::bigint"

    def __init__(self, uri):
        self.uri = uri

    def query(self, sql):
        result = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", self.SEP, "-R", self.END,
                                 "-d", self.uri, "-c", sql], capture_output=True, timeout=120)
        if result.returncode != 0:
            return []  # down, or the schema is not there yet
        rows = []
        for line in result.stdout.decode(errors="surrogateescape").split(self.END):
            line = line.strip("\n")
            if line:
                rows.append(tuple(line.split(self.SEP)))
        return rows

    def execute(self, sql, triggers=False):
        # The superuser disables the audit's triggers for the corruption it was asked for.
        if not triggers:
            sql = "SET session_replication_role = replica; " + sql
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.uri, "-c", sql],
                       check=True, capture_output=True, timeout=120)


def _int(value):
    return None if value in (None, "") else int(value)


def read_trades(store):
    return {row[0]: Payload(int(row[1]), row[2], row[3], str(row[4]))
            for row in store.query(TRADES_SQL)}


def read_audit(store):
    return [AuditEntry(r[0], r[1], r[2], tuple(c for c in (r[3] or "").split(",") if c),
                       r[4], _int(r[5])) for r in store.query(AUDIT_SQL)]


def read_history(store):
    history = {}
    for row in store.query(HISTORY_SQL.format(micros=store.RECORDED_MICROS)):
        payload = Payload(int(row[1]), row[2], row[3], str(row[4]))
        history.setdefault(row[0], []).append((row[5], payload, int(row[6])))
    return history


def read_tombstones(store):
    return {row[0]: int(row[1]) for row in store.query(TOMBSTONES_SQL)}


def read_positions(store, topic):
    return {int(p): int(o) for p, o in store.query(POSITIONS_SQL.format(topic=topic))}
