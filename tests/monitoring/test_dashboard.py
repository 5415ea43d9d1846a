"""The monitoring kit against real servers: a tradestored (SQLite, or PostgreSQL with
TRADESTORE_E2E_STORE=postgres; REST with tokens, the kafka-source with a change feed,
mongo-audit, the expiry job) under load from REST and Kafka, scraped every second by Debian's
own `prometheus` with the shipped alert rules loaded. Every query of every panel of the
Grafana dashboard must return data, every alert rule must evaluate without error, and every
metric the rules and their promtool tests name must be one the daemon exports. Standard
library only."""

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kafka"))
sys.path.insert(0, os.path.join(HERE, "..", "mongo"))
import kafka_harness as kh  # noqa: E402
import mongo_support  # noqa: E402
import harness  # noqa: E402
from harness import free_port, trade  # noqa: E402

MONITORING_DIR = os.environ.get("TRADESTORE_MONITORING_DIR",
                                os.path.join(HERE, "..", "..", "etc", "monitoring"))
RULES = os.path.join(MONITORING_DIR, "tradestore-alerts.yml")
DASHBOARD = os.path.join(MONITORING_DIR, "grafana", "tradestore.json")
JOB = "tradestore"
# What Grafana would put in for the dashboard's built-in variables at a 1 s scrape interval.
RATE_INTERVAL = "10s"
RANGE = "1m"
TOKENS = {"writer": "wr-monitoring-1", "reader": "rd-monitoring-1", "metrics": "mt-monitoring-1"}
# Beyond "has data": signs that each part really ran, not just registered its series.
WORKING = [("Kafka lag known (librdkafka statistics arrive)", "A",
            'tradestore_kafka_consumer_lag{job="$job"} >= 0'),
           ("audit entries shipped to MongoDB", "A",
            'tradestore_mongo_audit_shipped_entries_total{job="$job"} > 0'),
           ("change feed rows published", "A",
            'tradestore_change_feed_published_total{job="$job"} > 0'),
           ("dead letters sent", "A",
            'tradestore_kafka_messages_total{job="$job", result="dead_lettered"} > 0'),
           ("expiry job ran", "A", 'tradestore_expiry_last_run_timestamp_seconds{job="$job"} > 0')]
DEADLINE = 240  # seconds for every panel to show data (a cold start of all the servers)


def bearer(role):
    return {"Authorization": f"Bearer {TOKENS[role]}"}


def panel_queries(dashboard):
    """(panel title, refId, expr) of every query target of every panel, rows included."""
    def walk(panels):
        for panel in panels:
            yield panel
            yield from walk(panel.get("panels", []))
    return [(p["title"], t["refId"], t["expr"])
            for p in walk(dashboard["panels"]) for t in p.get("targets", [])]


def substitute(expr, instance):
    """The dashboard variables as Grafana fills them with one job and one instance chosen: a
    regex, its backslashes doubled inside a PromQL string."""
    instance_regex = re.escape(instance).replace("\\", "\\\\")
    for name, value in (("$__rate_interval", RATE_INTERVAL), ("$__range", RANGE),
                        ("$job", JOB), ("$instance", instance_regex)):
        expr = expr.replace(name, value)
    left = re.findall(r"\$\w+", expr)
    assert not left, f"unknown dashboard variables {left} in {expr}"
    return expr


def alert_names(rules_text):
    return re.findall(r"^\s*- alert: (\w+)\s*$", rules_text, re.M)


def series_the_kit_names():
    """{metric name: label names} the alert rules and their promtool tests use (the tests'
    made-up job and instance labels left out): each must be a series the daemon exports, with
    those labels, or the rules watch something that never exists and stay silent."""
    names = {}
    with open(RULES) as f:
        for name in re.findall(r"\b((?:tradestore|process)_\w+)", f.read()):
            names.setdefault(name, set())
    tests_dir = os.path.join(MONITORING_DIR, "tests")
    for file_name in sorted(os.listdir(tests_dir)):
        with open(os.path.join(tests_dir, file_name)) as f:
            for name, labels in re.findall(r"series: '(\w+)\{([^}]*)\}'", f.read()):
                keys = set(re.findall(r"(\w+)=", labels)) - {"job", "instance"}
                names.setdefault(name, set()).update(keys)
    names.pop("up", None)  # Prometheus' own
    return names


class Prometheus:
    """Debian's prometheus on a free loopback port, its data in a temp dir."""

    def __init__(self, binary, target, token, rule_file):
        self.dir = tempfile.mkdtemp(prefix="tradestore-prometheus-")
        self.port = free_port()
        token_file = os.path.join(self.dir, "token")
        with open(token_file, "w") as f:
            f.write(token)
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    f"rule_files:\n  - {json.dumps(rule_file)}\n"
                    "scrape_configs:\n"
                    f"  - job_name: {JOB}\n"
                    "    metrics_path: /metrics\n"
                    f"    static_configs:\n      - targets: [\"{target}\"]\n"
                    "    authorization:\n      type: Bearer\n"
                    f"      credentials_file: {json.dumps(token_file)}\n")
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir}/data",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")[-4000:]

    def get(self, path, **params):
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()

    def api(self, path, **params):
        try:
            status, body = self.get(path, **params)
        except urllib.error.HTTPError as error:
            raise AssertionError(f"prometheus answered {error.code} to {path} {params}: "
                                 f"{error.read().decode(errors='replace')}") from None
        data = json.loads(body)
        assert data["status"] == "success", data
        return data["data"]

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"prometheus exited:\n{self.read_log()}")
            try:
                if self.get("/-/ready")[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"prometheus not ready in {timeout} s:\n{self.read_log()}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Load(threading.Thread):
    """Keeps REST and Kafka traffic flowing until stopped: accepted, replaced and rejected
    trades, requests refused for a missing or wrong-role token, and Kafka batches with
    malformed messages that go to the dead-letter topic."""

    def __init__(self, daemon, brokers, topic):
        super().__init__(daemon=True)
        self.client = daemon.client
        self.brokers, self.topic = brokers, topic
        self.stopping = threading.Event()
        self.error = None

    def run(self):
        try:
            round_no = 0
            while not self.stopping.is_set():
                self.one_round(round_no)
                round_no += 1
                self.stopping.wait(0.3)  # pacing of the load, not synchronisation
        except Exception as error:  # noqa: BLE001 - reported by the test
            self.error = error

    def one_round(self, n):
        batch = [trade(f"R{n % 50:03d}-{i}", version=1 + n // 50, book=f"B{i % 4}")
                 for i in range(20)]
        r = self.client.post("/api/v1/trades/batch", batch, headers=bearer("writer"))
        assert r.status == 200, r
        r = self.client.post("/api/v1/trades", trade(f"P{n}", maturity=kh.PAST),
                             headers=bearer("writer"))
        assert r.status == 400, r
        assert self.client.get(f"/api/v1/trades/R{n % 50:03d}-0", headers=bearer("reader")).status == 200
        assert self.client.get("/api/v1/trades").status == 401
        r = self.client.post("/api/v1/trades", trade(f"F{n}"), headers=bearer("reader"))
        assert r.status == 403, r
        records, _ = kh.trade_stream(ids=10, versions=2, rule_failing=2, malformed=2, seed=n)
        kh.produce(self.brokers, self.topic, records)


class DashboardAgainstPrometheusTest(unittest.TestCase):
    def setUp(self):
        prometheus = harness.require_tool(self, "prometheus")
        brokers = kh.brokers()
        mongo_support.require_server(self)
        mongo = mongo_support.scratch_database(self)

        topic, dlq, changes = (kh.unique(n) for n in ("monitoring", "monitoring-dlq",
                                                      "monitoring-changes"))
        for name in (topic, dlq, changes):
            kh.create_topic(brokers, name)
        sections = (kh.kafka_section(brokers, topic, kh.unique("monitoring-group"), dlq,
                                     extra=f"changes_topic = {changes}")
                    + "[plugin.mongo-audit]\n"
                    f"uri = {mongo.uri}\ndatabase = {mongo.database}\ninterval = 200ms\n"
                    "[plugin.expiry-scheduler]\ninterval = 1s\n")
        tokens = "".join(f"auth.tokens.{role}-id = {role}:sha256:"
                         f"{hashlib.sha256(token.encode()).hexdigest()}\n"
                         for role, token in TOKENS.items())
        self.daemon = kh.kafka_daemon(
            sections, sqlite_settings="change_feed = true",
            plugins=kh.KAFKA_PLUGINS + ["expiry-scheduler", "mongo-audit"], rest_settings=tokens)
        self.addCleanup(self.daemon.cleanup)
        self.addCleanup(self.daemon.stop)
        self.daemon.start()
        self.instance = f"127.0.0.1:{self.daemon.port}"
        health = self.daemon.client.get("/api/v1/health", headers=bearer("reader")).json()
        self.assertEqual(health["services"].get(harness.STORE_SERVICE), "up", health)

        self.prometheus = Prometheus(prometheus, self.instance, TOKENS["metrics"], RULES)
        self.addCleanup(self.prometheus.stop)
        self.prometheus.wait_ready()

        self.load = Load(self.daemon, brokers, topic)
        self.load.start()
        self.addCleanup(self.stop_load)

    def stop_load(self):
        self.load.stopping.set()
        self.load.join(timeout=60)

    def check_alive(self):
        if self.load.error is not None:
            raise AssertionError(f"the load failed: {self.load.error!r}\n"
                                 f"{self.daemon.read_log()[-4000:]}")
        if self.daemon.process.poll() is not None:
            raise AssertionError(f"tradestored exited:\n{self.daemon.read_log()[-4000:]}")

    def empty_queries(self, queries):
        """The (title, refId, expr, result) of each query that has no non-NaN sample now."""
        empty = []
        for title, ref, expr in queries:
            result = self.prometheus.api("/api/v1/query", query=substitute(expr, self.instance))
            values = [float(s["value"][1]) for s in result["result"]]
            if not any(not math.isnan(v) for v in values):
                empty.append((title, ref, expr, result["result"][:3]))
        return empty

    def rule_health(self, expected):
        """(problems, not yet evaluated) of the loaded alert rules."""
        groups = self.prometheus.api("/api/v1/rules", type="alert")["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        loaded = sorted(rule["name"] for rule in rules)
        problems = [] if loaded == sorted(expected) else [f"loaded {loaded}, file has {expected}"]
        problems += [f"{r['name']}: {r['health']} {r.get('lastError', '')}"
                     for r in rules if r["health"] == "err"]
        waiting = [r["name"] for r in rules if r["health"] != "ok"]
        return problems, waiting

    def test_every_panel_query_returns_data_and_every_rule_evaluates(self):
        with open(DASHBOARD) as f:
            queries = panel_queries(json.load(f))
        with open(RULES) as f:
            expected_alerts = alert_names(f.read())
        self.assertGreater(len(queries), 30)
        self.assertGreater(len(expected_alerts), 15)

        deadline = time.monotonic() + DEADLINE
        while True:
            self.check_alive()
            empty = self.empty_queries(queries + WORKING)
            problems, waiting = self.rule_health(expected_alerts)
            self.assertEqual(problems, [], "alert rules that Prometheus cannot evaluate")
            if not empty and not waiting:
                break
            if time.monotonic() > deadline:
                details = "\n".join(f"  {title} [{ref}]: {expr}\n    -> {result}"
                                    for title, ref, expr, result in empty)
                self.fail(f"{len(empty)} of {len(queries)} panel queries returned no data "
                          f"after {DEADLINE} s; rules not evaluated: {waiting}\n{details}\n"
                          f"prometheus log:\n{self.prometheus.read_log()}")
            time.sleep(1)  # a scrape interval: new samples to look at

        # What the rules and their unit tests name is what the daemon exports.
        missing = []
        for name, label_names in sorted(series_the_kit_names().items()):
            found = self.prometheus.api("/api/v1/series",
                                        **{"match[]": f'{name}{{job="{JOB}"}}'})
            exported = set().union(*(set(series) for series in found)) if found else set()
            if not found or not label_names <= exported:
                missing.append(f"{name} {sorted(label_names)}: exported {sorted(exported)}")
        self.assertEqual(missing, [], "series of the rules or their tests the daemon lacks")

        # The dashboard's variables offer this job and instance.
        jobs = self.prometheus.api("/api/v1/label/job/values",
                                   **{"match[]": "tradestore_build_info"})
        self.assertIn(JOB, jobs)
        instances = self.prometheus.api("/api/v1/label/instance/values",
                                        **{"match[]": f'tradestore_build_info{{job="{JOB}"}}'})
        self.assertIn(self.instance, instances)
        # The target is up, so no alert about it fires.
        firing = [a["labels"]["alertname"] for a in self.prometheus.api("/api/v1/alerts")["alerts"]
                  if a["state"] == "firing"]
        self.assertNotIn("TradeStoreTargetDown", firing)


if __name__ == "__main__":
    unittest.main()
