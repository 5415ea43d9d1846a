"""The faults, each one function against the real daemons, broker and database of a running
scenario (run_chaos.Scenario: .daemons, .broker, .pg, .stream, .topic, .rng, .note()). Each
returns a short description of what it did; the scenario counts it."""

import os
import re
import signal
import subprocess
import sys
import threading
import time

from workload import produce

HERE = os.path.dirname(os.path.abspath(__file__))
COMMIT_CUTTER = os.path.join(HERE, "pg_commit_cutter.py")


class FaultUnavailable(RuntimeError):
    """The fault cannot be injected on this branch or setup: the scenario fails with this."""


def kill_9(s):
    """kill -9 of one of the group's daemons mid-stream, then a restart on the same config: its
    partitions move to the other member once the session times out, and back at the rejoin."""
    index = s.rng.randrange(len(s.daemons))
    daemon = s.daemons[index]
    daemon.stop(sig=signal.SIGKILL)
    time.sleep(0.5)
    daemon.start()
    return f"daemon {index} killed (-9) and restarted"


def pause_member(s, seconds=None):
    """SIGSTOP of one member past max.poll.interval.ms and the session timeout: the group
    gives its partitions to the other member, which starts from the store's positions; then
    SIGCONT, and the zombie finishes the batch it held. It must be fenced (no second decision)."""
    index = s.rng.randrange(len(s.daemons))
    pid = s.daemons[index].process.pid
    seconds = seconds or s.max_poll_seconds + 2
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(seconds)
    finally:
        os.kill(pid, signal.SIGCONT)
    return f"daemon {index} stopped (SIGSTOP) for {seconds:.0f} s, then SIGCONT"


def assigned(log):
    """The partitions of a daemon's last assignment, from its log: {"topic/p", ...}."""
    lines = re.findall(r"kafka-source: assigned (.*)", log)
    return {entry.split("@")[0] for entry in lines[-1].split(", ")} if lines else set()


def lock_member_positions(s, seconds=None):
    """PostgreSQL only: a second session locks the position rows of one member's partitions
    past max.poll.interval.ms, so that member's batch waits in the store while the group gives
    its partitions to the other member, whose batch of the same offsets then waits on the same
    rows; at the release the first commits, and the second must be fenced (issue #14, fault 3)."""
    if s.pg is None:
        raise FaultUnavailable("row locks from a second session need the postgres store")
    index = s.rng.randrange(len(s.daemons))
    partitions = sorted(int(p.rsplit("/", 1)[1]) for p in assigned(s.daemons[index].read_log()))
    if not partitions:
        raise FaultUnavailable(f"daemon {index} holds no partition")
    seconds = seconds or s.max_poll_seconds + 3
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", s.database_uri, "-c",
                    "BEGIN; SELECT 1 FROM source_positions WHERE source = 'kafka' AND "
                    f"stream = '{s.topic}' AND \"partition\" IN "
                    f"({', '.join(map(str, partitions))}) FOR UPDATE; "
                    f"SELECT pg_sleep({seconds}); COMMIT;"],
                   check=True, capture_output=True, timeout=seconds + 60)
    return f"position rows of daemon {index}'s partitions {partitions} locked for {seconds:.0f} s"


def restart_broker(s):
    """The Kafka broker restarted (controlled shutdown, same data and ports) mid-stream."""
    started = time.monotonic()
    s.broker.restart()
    return f"broker restarted ({time.monotonic() - started:.1f} s)"


def restart_postgres_fast(s):
    """PostgreSQL stopped with -m fast (sessions terminated, 57P01) under REST and Kafka load."""
    if s.pg is None:
        raise FaultUnavailable("PostgreSQL restarts need the postgres store")
    s.pg.restart("fast")
    return "PostgreSQL restarted (-m fast)"


def restart_postgres_immediate(s):
    """PostgreSQL stopped with -m immediate (a crash: no checkpoint, recovery at start)."""
    if s.pg is None:
        raise FaultUnavailable("PostgreSQL restarts need the postgres store")
    s.pg.restart("immediate")
    return "PostgreSQL restarted (-m immediate)"


def inject_poison(s, rounds=2):
    """Poison keys (NUL, invalid UTF-8, 8,000 bytes) and poison values (not JSON, not a valid
    trade) into the running stream, on every partition: each must be dead-lettered and audited
    once, and the good messages after it applied."""
    records = s.stream.poison_records(rounds)
    produce(s.broker.address, s.topic, records)
    return f"{sum(1 for r in records if s.stream.sent[r['headers'][0][1]][2])} poison messages"


class CommitCutter:
    """tests/chaos/pg_commit_cutter.py between the daemons and PostgreSQL: it cuts the
    connection right after every cut_every-th COMMIT, so the daemon cannot know whether the
    COMMIT took. Started before the daemons (their URI points at it); stop() ends it."""

    def __init__(self, pg_port, cut_every):
        if not os.path.exists(COMMIT_CUTTER):
            raise FaultUnavailable(
                "tests/chaos/pg_commit_cutter.py is not on this branch (another helper writes "
                "it): the COMMIT-cut scenario cannot run")
        from harness import free_port  # the e2e harness
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, COMMIT_CUTTER, "--listen", f"127.0.0.1:{self.port}",
             "--upstream", f"127.0.0.1:{pg_port}", "--cut-every", str(cut_every)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline().strip()
        if line != f"listening {self.port}":
            self.stop()
            raise FaultUnavailable(f"pg_commit_cutter.py did not start: {line!r}")
        # Whatever else it prints is read away, so that a full pipe never blocks it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def uri(self, database_uri):
        """The database's URI, through the cutter."""
        head, tail = database_uri.split("@", 1)
        return f"{head}@127.0.0.1:{self.port}/{tail.split('/', 1)[1]}"

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


FAULTS = {
    "kill-9": kill_9,
    "pause-member": pause_member,
    "pg-lock-member": lock_member_positions,
    "broker-restart": restart_broker,
    "pg-restart-fast": restart_postgres_fast,
    "pg-restart-immediate": restart_postgres_immediate,
    "poison": inject_poison,
}
