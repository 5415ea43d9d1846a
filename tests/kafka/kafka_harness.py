"""The kafka tests' harness: the broker the kafka_broker fixture started, kafka_tool (produce,
consume, committed offsets), tradestored with the kafka-source (the e2e harness's Daemon), a
generator of trade streams with bad messages mixed in, the decisions such a stream must lead
to, and what the SQLite store holds. Standard library only."""

import collections
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
# The e2e harness: Daemon starts tradestored with a temporary config.
from harness import BUSINESS_DATE, PLUGIN_DIR, Daemon, run_tradestored  # noqa: E402,F401

KAFKA_TOOL = os.environ.get("KAFKA_TOOL", "")
BOOTSTRAP_FILE = os.environ.get("TRADESTORE_KAFKA_BOOTSTRAP_FILE", "")
KAFKA_PLUGINS = ["trade-rules", "sqlite-store", "rest-source", "kafka-source"]
# A killed consumer's partitions move after the session timeout: seconds, not 45 s.
FAST_GROUP = "session.timeout.ms=6000, heartbeat.interval.ms=500"

FUTURE = "2027-06-30"  # after the harness's business date
PAST = "2026-01-15"    # before it: MATURITY_IN_PAST


def brokers():
    """The broker's address, or skip (fail when CI=true) when there is none."""
    address = os.environ.get("TRADESTORE_TEST_KAFKA_BROKERS", "")
    if not address and BOOTSTRAP_FILE and os.path.exists(BOOTSTRAP_FILE):
        with open(BOOTSTRAP_FILE) as f:
            address = f.read().strip()
    if not KAFKA_TOOL:
        raise RuntimeError("KAFKA_TOOL must be set (run the tests through CTest)")
    if not address:
        message = ("no Kafka broker: scripts/kafka-test-broker.sh found no java/mvn "
                   "and TRADESTORE_TEST_KAFKA_BROKERS is not set")
        if os.environ.get("CI") == "true":
            raise AssertionError(message + " (CI=true: failing instead of skipping)")
        raise unittest.SkipTest(message)
    return address


def unique(name):
    return f"{name}-{uuid.uuid4().hex[:10]}"


def tool(*args, input_text=None, timeout=180):
    result = subprocess.run([KAFKA_TOOL, *args], input=input_text, capture_output=True,
                            timeout=timeout, text=True, errors="surrogateescape")
    if result.returncode != 0:
        raise AssertionError(f"kafka_tool {args[0]} failed ({result.returncode}):\n"
                             f"{result.stderr}\n{result.stdout[-2000:]}")
    return result.stdout


def create_topic(address, topic, partitions=3):
    tool("create-topic", "--brokers", address, "--topic", topic, "--partitions", str(partitions))


def produce(address, topic, records):
    """records: dicts with key, value (str or None) and headers ([[name, value], ...])."""
    lines = "".join(json.dumps(r) + "\n" for r in records)
    out = tool("produce", "--brokers", address, "--topic", topic, input_text=lines)
    assert json.loads(out)["produced"] == len(records), out


def consume(address, topic, timeout_ms=60000):
    """Every message of the topic, in partition and offset order."""
    out = tool("consume", "--brokers", address, "--topic", topic, "--timeout-ms", str(timeout_ms))
    messages = [json.loads(line) for line in out.splitlines() if line]
    messages.sort(key=lambda m: (m["partition"], m["offset"]))
    return messages


def committed(address, group, topic):
    out = tool("committed", "--brokers", address, "--topic", topic, "--group", group)
    return {int(k): v for k, v in json.loads(out).items()}


def headers_of(message):
    return {name: value for name, value in message["headers"]}


def kafka_section(address, topic, group, dlq, results=None, batch_size=200, properties="",
                  extra=""):
    props = FAST_GROUP + (", " + properties if properties else "")
    return ("[plugin.kafka-source]\n"
            f"brokers = {address}\n"
            f"topics = {topic}\n"
            f"group_id = {group}\n"
            f"dead_letter_topic = {dlq}\n"
            + (f"results_topic = {results}\n" if results else "")
            + f"batch_size = {batch_size}\n"
            "batch_wait = 20ms\n"
            "retry_backoff_max = 1s\n"
            f"kafka_properties = {props}\n"
            f"{extra}\n")


def kafka_daemon(section, data_dir=None, sqlite_settings="", pg_uri=None, plugins=KAFKA_PLUGINS,
                 rest_settings=""):
    """A tradestored with REST, SQLite (or PostgreSQL at pg_uri) and the kafka-source (and any
    other `plugins` whose sections `section` holds); not started. sqlite_settings: lines for
    the store's section (the e2e harness's store: SQLite, or PostgreSQL when
    TRADESTORE_E2E_STORE=postgres)."""
    daemon = Daemon(plugins=plugins, sections=section, data_dir=data_dir,
                    rest_settings=rest_settings,
                    store_settings=sqlite_settings + "\n" if sqlite_settings else "")
    if pg_uri:
        with open(daemon.config_path, "w") as f:
            f.write("[kernel]\n"
                    f"plugin_dir = {PLUGIN_DIR}\n"
                    "plugins = trade-rules, postgres-store, rest-source, kafka-source\n"
                    f"business_date = {BUSINESS_DATE}\n"
                    "[plugin.postgres-store]\n"
                    f"uri = {pg_uri}\n"
                    "connect_timeout = 1s\n"
                    "[plugin.rest-source]\n"
                    f"port = {daemon.port}\n"
                    f"{section}\n")
        return daemon
    return daemon


# --- streams of trades --------------------------------------------------------------------------

VALID, RULE_FAILING = "valid", "rule"
MALFORMED_JSON, INVALID_TRADE = "MALFORMED_JSON", "INVALID_TRADE"


def trade_body(trade_id, version, maturity=FUTURE):
    return json.dumps({"trade_id": trade_id, "version": version,
                       "counter_party_id": f"CP-{version}", "book_id": f"B-{trade_id[-1]}",
                       "maturity_date": maturity})


def bad_message(kind, trade_id):
    """(class, value) of one bad message; kind picks the flavour."""
    bodies = [
        (MALFORMED_JSON, "{not json"),
        (MALFORMED_JSON, '{"trade_id": "' + trade_id + '", "version": 1'),  # truncated
        (MALFORMED_JSON, None),                                            # no value at all
        (MALFORMED_JSON, "bad\u0000bytes"),
        (INVALID_TRADE, json.dumps({"trade_id": trade_id, "version": "x",
                                    "counter_party_id": "CP", "book_id": "B",
                                    "maturity_date": FUTURE})),
        (INVALID_TRADE, json.dumps({"trade_id": trade_id, "version": 0,
                                    "counter_party_id": "CP", "book_id": "B",
                                    "maturity_date": FUTURE})),
        (INVALID_TRADE, json.dumps({"trade_id": trade_id, "version": 3,
                                    "counter_party_id": "CP", "book_id": "B",
                                    "maturity_date": "2027-02-30"})),
        (INVALID_TRADE, json.dumps({"trade_id": trade_id, "version": 2, "book_id": "B"})),
        (INVALID_TRADE, json.dumps([1, 2, 3])),
    ]
    return bodies[kind % len(bodies)]


def trade_stream(ids, versions, rule_failing, malformed, seed):
    """Shuffled versions 1..versions of `ids` trade ids, with rule-failing trades (maturity in
    the past) and malformed messages mixed in. Every message carries a "seq" header; returns
    (records to produce, class of each seq)."""
    rng = random.Random(seed)
    names = [f"K{i:05d}" for i in range(ids)]
    items = []
    for name in names:
        for version in range(1, versions + 1):
            items.append((VALID, name, trade_body(name, version)))
    for _ in range(rule_failing):
        name = rng.choice(names)
        items.append((RULE_FAILING, name, trade_body(name, rng.randint(1, versions), PAST)))
    for n in range(malformed):
        name = rng.choice(names)
        cls, value = bad_message(n, name)
        # Most bad messages keep their trade's key; some have none.
        items.append((cls, None if n % 7 == 0 else name, value))
    rng.shuffle(items)
    records, classes = [], {}
    for seq, (cls, key, value) in enumerate(items):
        records.append({"key": key, "value": value, "headers": [["seq", str(seq)]]})
        classes[str(seq)] = cls
    return records, classes


def expected_decisions(topic, messages, classes):
    """What applying the consumed messages in partition order must do. Returns
    ({reference: (action, sorted reason codes, trade_id, version, outcome)}, {id: version})."""
    state = {}
    decisions = {}
    for m in sorted(messages, key=lambda m: (m["partition"], m["offset"])):
        reference = f"{topic}/{m['partition']}/{m['offset']}"
        cls = classes[headers_of(m)["seq"]]
        if cls in (MALFORMED_JSON, INVALID_TRADE):
            decisions[reference] = ("VALIDATION_FAILED", [cls], m["key"] or "", None, "invalid")
            continue
        trade = json.loads(m["value"])
        trade_id, version = trade["trade_id"], trade["version"]
        stored = state.get(trade_id)
        codes = []
        if stored is not None and version < stored:
            codes.append("LOWER_VERSION")
        if trade["maturity_date"] < BUSINESS_DATE:
            codes.append("MATURITY_IN_PAST")
        if codes:
            decisions[reference] = ("VALIDATION_FAILED", sorted(codes), trade_id, version,
                                    "rejected")
            continue
        if stored is None:
            action, outcome = "CREATE", "created"
        elif version == stored:
            action, outcome = "REPLACE", "replaced"
        else:
            action, outcome = "UPDATE", "updated"
        state[trade_id] = version
        decisions[reference] = (action, [], trade_id, version, outcome)
    return decisions, state


def end_offsets(messages):
    """Per partition: the last offset of the consumed messages."""
    ends = {}
    for m in messages:
        ends[m["partition"]] = max(ends.get(m["partition"], -1), m["offset"])
    return ends


# --- the SQLite store ---------------------------------------------------------------------------

class StoreView:
    """Reads what a daemon's store holds: the SQLite file directly (WAL: readers do not block
    the daemon), or PostgreSQL through psql (PgView)."""

    def __init__(self, path):
        self.path = path

    def _query(self, sql, args=()):
        if not os.path.exists(self.path):
            return []
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(sql, args).fetchall()
        except sqlite3.OperationalError:
            return []  # the schema is not there yet
        finally:
            con.close()

    def positions(self, topic):
        return {p: o for p, o in self._query(
            'SELECT "partition", "offset" FROM source_positions WHERE source = ? AND stream = ?',
            ("kafka", topic))}

    def progress(self, topic, ends):
        """How many of the stream's messages the store has applied (by position)."""
        positions = self.positions(topic)
        return sum(min(positions.get(p, -1), end) + 1 for p, end in ends.items())

    def trades(self):
        return {r[0]: {"version": r[1], "counter_party_id": r[2]} for r in self._query(
            "SELECT trade_id, version, counter_party_id FROM trades")}

    def audit(self, topic):
        """Kafka audit entries of the topic: [(reference, action, codes, trade_id, version)]."""
        rows = self._query(
            "SELECT reference, action, reason_codes, trade_id, received_version FROM audit_log "
            "WHERE source = 'kafka' AND reference LIKE ? ORDER BY id", (topic + "/%",))
        return [(r[0], r[1], sorted(c for c in (r[2] or "").split(",") if c), r[3] or "", r[4])
                for r in rows]

    def wait_for(self, topic, ends, timeout=120, daemons=()):
        """Waits until the store's positions reach the stream's end."""
        deadline = time.monotonic() + timeout
        total = sum(end + 1 for end in ends.values())
        while time.monotonic() < deadline:
            if self.progress(topic, ends) >= total:
                return
            for daemon in daemons:
                if daemon.process is not None and daemon.process.poll() is not None:
                    raise AssertionError(f"tradestored exited:\n{daemon.read_log()[-5000:]}")
            time.sleep(0.1)
        logs = "\n".join(d.read_log()[-5000:] for d in daemons)
        raise AssertionError(f"the store reached {self.progress(topic, ends)} of {total} "
                             f"messages in {timeout} s; positions {self.positions(topic)}\n{logs}")


class PgView(StoreView):
    """The same reads against PostgreSQL, through psql (no driver outside the stdlib)."""

    def __init__(self, uri, psql="psql"):
        super().__init__(None)
        self.uri = uri
        self.psql = psql

    def _query(self, sql, args=()):
        for arg in args:  # inline the arguments: test-made names, quotes doubled
            sql = sql.replace("?", "'" + str(arg).replace("'", "''") + "'", 1)
        result = subprocess.run([self.psql, "-X", "-q", "-A", "-t", "-F", "\t", "-d", self.uri,
                                 "-c", sql], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            return []  # the server is down or the schema is not there yet
        rows = []
        for line in result.stdout.splitlines():
            rows.append(tuple(int(v) if v.lstrip("-").isdigit() else (v if v else None)
                              for v in line.split("\t")))
        return rows


def check_store_matches(test, view, topic, decisions, state):
    """The store holds the expected final state and exactly one audit entry per message, with
    the expected decision."""
    trades = view.trades()
    test.assertEqual({tid: t["version"] for tid, t in trades.items()}, state)
    for tid, version in state.items():
        test.assertEqual(trades[tid]["counter_party_id"], f"CP-{version}", tid)

    audit = view.audit(topic)
    counts = collections.Counter(entry[0] for entry in audit)
    duplicates = sorted(ref for ref, n in counts.items() if n > 1)
    test.assertEqual(duplicates[:10], [],
                     "duplicate audit entries for a (topic, partition, offset)")
    got = {entry[0]: (entry[1], entry[2], entry[3], entry[4]) for entry in audit}
    want = {ref: (d[0], d[1], d[2], d[3]) for ref, d in decisions.items()}
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    test.assertEqual((missing[:10], extra[:10]), ([], []), "audit references")
    wrong = [(ref, got[ref], want[ref]) for ref in want if got[ref] != want[ref]]
    test.assertEqual(wrong[:10], [], "audit decisions differ from the expected ones")
