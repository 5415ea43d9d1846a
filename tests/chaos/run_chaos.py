#!/usr/bin/env python3
"""The fault suite of issue #14: scenarios of Kafka and REST load against the real tradestored
(two daemons in one consumer group, one store), the real Kafka broker and the real PostgreSQL
server, with faults injected mid-stream (faults.py); then the state, the audit and the
dead-letter topic are read back and checked against the oracle (oracle.py).

  run_chaos.py --store sqlite|postgres --form short|long [--seed N]
  run_chaos.py --store sqlite|postgres --corrupt all|KIND   # each check shown able to fail

Environment (CTest sets it): TRADESTORED, TRADESTORE_PLUGIN_DIR, KAFKA_TOOL, and
CHAOS_KAFKA_STATE, the kafka-test-broker.sh state dir of the broker to use (and restart);
without a broker there, one is started and stopped. PostgreSQL: a private server
(scripts/pg-test-server.sh), since the suite restarts it. Exit status 0 when every scenario
held. Standard library only."""

import argparse
import collections
import dataclasses
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "kafka"))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

import kafka_harness  # noqa: E402
import oracle  # noqa: E402
import servers  # noqa: E402
from corruption import CORRUPTIONS, corrupt_store, findings  # noqa: E402
from faults import FAULTS, CommitCutter, FaultUnavailable, assigned  # noqa: E402
from workload import KafkaStream, RestClient  # noqa: E402

SESSION_TIMEOUT_MS = 3000
MAX_POLL_INTERVAL_MS = 4000


@dataclasses.dataclass
class Spec:
    name: str
    faults: list
    messages: int
    ids: int = 600
    daemons: int = 2
    rest_clients: int = 2
    rest_limit: int = 800
    stream_seconds: float = 10.0
    poison_values: int = 0  # poison with ordinary keys from the start (see also the fault)
    commit_cut_every: int = 0  # > 0: PostgreSQL behind pg_commit_cutter.py
    stores: tuple = ("sqlite", "postgres")


def short_form():
    return [
        # The broker restart is the store's business only through the daemon: once, on SQLite.
        Spec("group", ["kill-9", "pause-member", "broker-restart"], messages=6000,
             stores=("sqlite",)),
        Spec("group", ["kill-9", "pause-member"], messages=6000, stores=("postgres",)),
        Spec("poison", ["poison", "poison"], messages=3000, rest_clients=1, rest_limit=300,
             stream_seconds=6),
        Spec("zombie", ["pg-lock-member"], messages=3000, rest_clients=1, rest_limit=300,
             stream_seconds=6, stores=("postgres",)),
        Spec("pgrestart", ["pg-restart-fast", "pg-restart-immediate"], messages=3000,
             rest_clients=3, rest_limit=1000, stream_seconds=8, stores=("postgres",)),
        Spec("commitcut", [], messages=6000, rest_clients=2, rest_limit=1000,
             commit_cut_every=30, stream_seconds=8, stores=("postgres",)),
    ]


def long_form():
    return [
        Spec("group", ["kill-9", "pause-member", "broker-restart"] * 3, messages=60000,
             ids=3000, rest_limit=5000, stream_seconds=60),
        Spec("kill", ["kill-9"] * 5, messages=40000, ids=3000, rest_limit=3000,
             stream_seconds=40),
        Spec("poison", ["poison"] * 6, messages=20000, ids=2000, rest_limit=2000,
             stream_seconds=20),
        Spec("zombie", ["pg-lock-member"] * 3, messages=20000, ids=2000, rest_limit=2000,
             stream_seconds=20, stores=("postgres",)),
        Spec("pgrestart", ["pg-restart-fast", "pg-restart-immediate"] * 3, messages=20000,
             ids=2000, rest_clients=4, rest_limit=5000, stream_seconds=30, stores=("postgres",)),
        Spec("commitcut", ["kill-9"], messages=30000, ids=3000, rest_clients=3,
             rest_limit=5000, commit_cut_every=30, stream_seconds=30, stores=("postgres",)),
    ]


def corrupt_form():
    """A small scenario without faults, whose state is then corrupted."""
    return [Spec("corrupt", [], messages=900, ids=90, daemons=1, rest_clients=1, rest_limit=150,
                 stream_seconds=1, poison_values=6)]


class Scenario:
    def __init__(self, env, spec, seed):
        self.env, self.spec = env, spec
        self.rng = random.Random(seed)
        self.seed = seed
        self.broker, self.pg = env.broker, env.pg
        tag = uuid.uuid4().hex[:8]
        self.topic = f"chaos-{spec.name}-{tag}"
        self.dlq = self.topic + ".dlq"
        self.group = self.topic + "-group"
        self.max_poll_seconds = MAX_POLL_INTERVAL_MS / 1000
        self.stream = KafkaStream(spec.name, spec.messages, spec.ids, seed,
                                  poison_values=spec.poison_values)
        self.faults, self.fault_errors = [], []
        self.daemons, self.cutter = [], None
        self.started = time.monotonic()
        self.shared = tempfile.mkdtemp(prefix=f"tradestore-chaos-{spec.name}-")
        self.database_uri = None

    def note(self, text):
        print(f"  [{self.spec.name} {time.monotonic() - self.started:6.1f}s] {text}", flush=True)

    def section(self):
        return ("[plugin.kafka-source]\n"
                f"brokers = {self.broker.address}\n"
                f"topics = {self.topic}\n"
                f"group_id = {self.group}\n"
                f"dead_letter_topic = {self.dlq}\n"
                "deletes = true\n"
                "batch_size = 200\nbatch_wait = 20ms\nretry_backoff_max = 1s\n"
                "shutdown_timeout = 5s\n"
                f"kafka_properties = session.timeout.ms={SESSION_TIMEOUT_MS}, "
                f"heartbeat.interval.ms=300, max.poll.interval.ms={MAX_POLL_INTERVAL_MS}\n")

    def setup_store(self):
        if self.env.store == "sqlite":
            self.store = servers.SqliteStore(os.path.join(self.shared, "trades.db"))
            return None
        self.database_uri = self.pg.database(f"chaos_{self.spec.name}_{uuid.uuid4().hex[:8]}")
        self.store = servers.PgStore(self.database_uri)
        if self.spec.commit_cut_every:
            self.cutter = CommitCutter(self.pg.port, self.spec.commit_cut_every)
            self.note(f"pg_commit_cutter.py cuts after every {self.spec.commit_cut_every}th "
                      "COMMIT")
            self.faults.append("commit-cut")
            return self.cutter.uri(self.database_uri)
        return self.database_uri

    def progress(self):
        positions = servers.read_positions(self.store, self.topic)
        return sum(o + 1 for o in positions.values())

    def start_daemons(self, daemon_uri):
        for _ in range(self.spec.daemons):
            daemon = kafka_harness.kafka_daemon(self.section(), data_dir=self.shared,
                                                pg_uri=daemon_uri)
            self.daemons.append(daemon)
            daemon.start()
        deadline = time.monotonic() + 90
        while True:
            sets = [assigned(d.read_log()) for d in self.daemons]
            if all(sets) and len(set().union(*sets)) == 3 and sum(map(len, sets)) == 3:
                break
            if time.monotonic() > deadline:
                raise AssertionError("the group did not settle:\n" +
                                     "\n".join(d.read_log()[-3000:] for d in self.daemons))
            time.sleep(0.1)
        self.note(f"{len(self.daemons)} daemon(s) hold the 3 partitions")

    def inject(self, name):
        try:
            self.note(f"fault {name}: {FAULTS[name](self)}")
            self.faults.append(name)
        except FaultUnavailable as e:
            self.fault_errors.append(f"{name}: {e}")
            self.note(f"fault {name} could not be injected: {e}")
        except Exception as e:  # a fault that broke is a finding, not a crash of the suite
            self.fault_errors.append(f"{name}: {type(e).__name__}: {e}")
            self.note(f"fault {name} failed: {type(e).__name__}: {e}")

    def wait_for_end(self, ends, stall_seconds):
        """Until every partition's position reaches its end, or nothing moves for
        stall_seconds (a stalled partition)."""
        total = sum(e + 1 for e in ends.values())
        last, since = -1, time.monotonic()
        while True:
            done = self.progress()
            if done >= total:
                return
            if done != last:
                last, since = done, time.monotonic()
            elif time.monotonic() - since > stall_seconds:
                self.note(f"no progress for {stall_seconds} s at {done} of {total}")
                return
            for index, d in enumerate(self.daemons):
                if d.process is not None and d.process.poll() is not None:
                    self.note(f"daemon {index} exited ({d.process.returncode}); restarting")
                    d.stop()
                    d.start()
            time.sleep(0.2)

    def run(self):
        spec = self.spec
        kafka_harness.create_topic(self.broker.address, self.topic, 3)
        kafka_harness.create_topic(self.broker.address, self.dlq, 3)
        daemon_uri = self.setup_store()
        self.start_daemons(daemon_uri)

        stop = threading.Event()
        clients = [RestClient(spec.name, c, lambda c: self.daemons[c % len(self.daemons)].port,
                              stop, spec.rest_limit, self.seed * 100 + c)
                   for c in range(spec.rest_clients)]
        for c in clients:
            c.start()
        producer_error = []

        def produce():
            try:
                self.stream.produce(self.broker.address, self.topic, 20, spec.stream_seconds)
            except Exception as e:  # noqa: BLE001 - reported below
                producer_error.append(e)

        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        base = len(self.stream.records)
        for i, name in enumerate(spec.faults):
            target = base * (i + 1) // (len(spec.faults) + 1)
            deadline = time.monotonic() + self.env.stall_seconds
            while self.progress() < target and time.monotonic() < deadline:
                time.sleep(0.05)
            self.inject(name)
        producer.join()
        if producer_error:
            raise producer_error[0]
        messages = self.stream.read_back(self.broker.address, self.topic)
        ends = {}
        for m in messages:
            ends[m.partition] = max(ends.get(m.partition, -1), m.offset)
        self.wait_for_end(ends, self.env.stall_seconds)
        stop.set()
        for c in clients:
            c.join(timeout=60)
        exits = [d.stop(timeout=90) for d in self.daemons]
        if self.cutter:
            self.cutter.stop()
        requests = [r for c in clients for r in c.requests]
        expected = oracle.expect(self.topic, messages, requests)
        return messages, requests, expected, exits

    def observe(self):
        dlq = kafka_harness.consume(self.broker.address, self.dlq, timeout_ms=60000)
        origins = [(int(kafka_harness.headers_of(m)["tradestore.dlq.partition"]),
                    int(kafka_harness.headers_of(m)["tradestore.dlq.offset"])) for m in dlq]
        return oracle.Observed(trades=servers.read_trades(self.store),
                               audit=servers.read_audit(self.store), dlq_origins=origins,
                               positions=servers.read_positions(self.store, self.topic),
                               history=servers.read_history(self.store),
                               tombstones=servers.read_tombstones(self.store))

    def keep_log(self, index):
        """A copy of a daemon's log that outlives the scenario, and its last lines."""
        daemon = self.daemons[index]
        path = os.path.join(tempfile.gettempdir(),
                            f"tradestore-chaos-{self.topic}-daemon{index}.log")
        shutil.copyfile(daemon.log_path, path)
        tail = "\n    ".join(daemon.read_log().splitlines()[-8:])
        return f"{path}\n    {tail}"

    def cleanup(self):
        for d in self.daemons:
            d.cleanup()
        if self.cutter:
            self.cutter.stop()
        shutil.rmtree(self.shared, ignore_errors=True)


def summarize(spec, scenario, messages, requests, expected, report, exits, seconds):
    statuses = {}
    for r in requests:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    unknown = sum(n for s, n in statuses.items() if s is None or s >= 500)
    findings = report.failed_checks() + (["faults"] if scenario.fault_errors else [])
    crashed = [i for i, code in enumerate(exits) if code != 0]
    if crashed:
        findings.append("daemon-exit")
    print(f"scenario {spec.name}: {'HELD' if not findings else 'BROKE'} in {seconds:.0f} s")
    decisions = collections.Counter(expected.exactly_once.values())
    refused = sum(n for (_, codes), n in decisions.items() if "DELETED_VERSION" in codes)
    print(f"  messages {len(messages)} (poison {scenario.stream.poison_count()}, "
          f"tombstones {scenario.stream.tombstone_count()}: deleted "
          f"{decisions[('DELETE', ())]}, not found {decisions[('DELETE', ('NOT_FOUND',))]}; "
          f"after a delete: recreated {len(expected.recreated)}, refused {refused}), "
          f"REST requests {len(requests)} (201: {statuses.get(201, 0)}, "
          f"400: {statuses.get(400, 0)}, unknown outcome: {unknown}), "
          f"faults injected {len(scenario.faults)} {scenario.faults}")
    print(f"  duplicates {report.duplicates}, version regressions "
          f"{len(report.version_regressions)}, content regressions "
          f"{len(report.content_regressions)}, resurrections {len(report.resurrections)}, "
          f"missing 201s {len(report.missing_201s)}, "
          f"stalled partitions {report.stalled_partitions}, DLQ missing "
          f"{len(report.dlq_missing)} / unexpected {len(report.dlq_unexpected)} / redelivered "
          f"{report.dlq_redelivered}, daemon exits {exits}")
    for line in report.describe() + [f"fault not injected: {e}" for e in scenario.fault_errors]:
        print(f"  FAIL {line}")
    for i in crashed:
        print(f"  FAIL daemon {i} exited {exits[i]} on SIGTERM; its log: {scenario.keep_log(i)}")
    sys.stdout.flush()
    return findings


class Environment:
    def __init__(self, args):
        self.store = args.store
        self.stall_seconds = args.stall_seconds
        state = os.environ.get("CHAOS_KAFKA_STATE") or os.path.join(
            tempfile.gettempdir(), "tradestore-chaos-kafka")
        self.broker = servers.Broker(state)
        self.pg = servers.PgServer() if args.store == "postgres" else None

    def close(self):
        if self.pg:
            self.pg.stop()
        self.broker.stop()


def run_form(env, specs, seed):
    totals = {"messages": 0, "requests": 0, "faults": 0, "duplicates": 0, "regressions": 0,
              "missing_201s": 0, "stalled": 0}
    broke = []
    for index, spec in enumerate(specs):
        if env.store not in spec.stores:
            print(f"scenario {spec.name} ({', '.join(spec.stores)} only): not run on "
                  f"{env.store}")
            continue
        scenario = Scenario(env, spec, seed + index)
        started = time.monotonic()
        try:
            messages, requests, expected, exits = scenario.run()
            report = oracle.check(expected, scenario.observe())
        except FaultUnavailable as e:
            print(f"scenario {spec.name}: BROKE: {e}")
            broke.append(spec.name)
            scenario.cleanup()
            continue
        findings = summarize(spec, scenario, messages, requests, expected, report, exits,
                             time.monotonic() - started)
        if findings:
            broke.append(spec.name)
        totals["messages"] += len(messages)
        totals["requests"] += len(requests)
        totals["faults"] += len(scenario.faults)
        totals["duplicates"] += report.duplicates
        totals["regressions"] += (len(report.version_regressions) +
                                  len(report.content_regressions))
        totals["missing_201s"] += len(report.missing_201s)
        totals["stalled"] += len(report.stalled_partitions)
        scenario.cleanup()
    print(f"chaos summary ({env.store}): " + ", ".join(f"{k} {v}" for k, v in totals.items()))
    print(f"scenarios broken: {broke}" if broke else "every scenario held")
    return not broke


def run_corruptions(env, kinds, seed):
    """One small scenario without faults; its state must check clean; then each corruption,
    on a copy of the store, must be reported by exactly the check it targets."""
    spec = corrupt_form()[0]
    scenario = Scenario(env, spec, seed)
    try:
        messages, requests, expected, _ = scenario.run()
        observed = scenario.observe()
        baseline = oracle.check(expected, observed)
        print(f"corruption baseline: {len(messages)} messages, {len(requests)} requests, "
              f"findings {baseline.describe() or 'none'}")
        before = findings(baseline)
        ok = True
        for kind in kinds:
            copy, finding, count = corrupt_store(scenario, observed, expected, kind)
            after = findings(oracle.check(expected, copy))
            added = {k: after[k] - before[k] for k in after if after[k] != before[k]}
            held = added == {finding: count}
            ok = ok and held
            print(f"corrupt {kind}: the checker reports {added or 'nothing more'}, expected "
                  f"{{{finding!r}: {count}}}: {'caught' if held else 'WRONG'}")
        return ok
    finally:
        scenario.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres"], required=True)
    parser.add_argument("--form", choices=["short", "long"], default="short")
    parser.add_argument("--corrupt", choices=["all", *CORRUPTIONS])
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--stall-seconds", type=float, default=20.0,
                        help="no progress for this long counts a partition as stalled")
    args = parser.parse_args()
    started = time.monotonic()
    env = Environment(args)
    try:
        if args.corrupt:
            kinds = list(CORRUPTIONS) if args.corrupt == "all" else [args.corrupt]
            ok = run_corruptions(env, kinds, args.seed)
        else:
            ok = run_form(env, short_form() if args.form == "short" else long_form(), args.seed)
    finally:
        env.close()
    print(f"chaos {args.store} {args.corrupt or args.form}: {time.monotonic() - started:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
