#!/usr/bin/env python3
"""Waits until a consumer has applied COUNT messages and times it, for the Kafka benchmarks.

    kafka_progress.py WHERE SQL COUNT PID [POSTMASTER_PID]

WHERE is a SQLite file or a postgresql:// URI; SQL returns one number, the messages applied so
far. The time runs from the first poll that sees any applied (so the consumer's start and group
join are left out) to the poll that sees COUNT; polls are 0.1 s apart. It gives up when the
count has not moved for 180 s (a consumer whose tasks died but whose process lives on). Prints one JSON object:
per_second, seconds, seconds_from_start, and the CPU seconds spent in that window by the
consumer (process PID and its threads) and by PostgreSQL (the postmaster's children: the live
ones plus those already reaped), or null where there is no postmaster to read.
"""
import json
import os
import sqlite3
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def cpu_seconds(pid):
    fields = stat_fields(pid)  # fields[11], [12]: utime, stime (fields 14, 15 of stat)
    return (int(fields[11]) + int(fields[12])) / TICK if fields else 0.0


def children_cpu_seconds(parent):
    """utime + stime of parent's live children plus its reaped ones (cutime + cstime)."""
    own = stat_fields(parent)
    total = (int(own[13]) + int(own[14])) / TICK if own else 0.0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields and int(fields[1]) == parent:  # fields[1]: ppid
                total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def applied(where, sql):
    if where.startswith("postgresql://"):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-d", where, "-c", sql],
                           capture_output=True, text=True)
        return int(r.stdout.strip() or 0) if r.returncode == 0 else 0
    try:
        con = sqlite3.connect(f"file:{where}?mode=ro", uri=True, timeout=5)
        value = con.execute(sql).fetchone()[0]
        con.close()
        return int(value or 0)
    except sqlite3.Error:
        return 0


def main():
    where, sql, count, pid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    postmaster = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else None

    def cpu():
        return (cpu_seconds(pid), children_cpu_seconds(postmaster) if postmaster else None)

    started = time.monotonic()
    first = None
    moved = (started, 0)
    while True:
        done = applied(where, sql)
        now = time.monotonic()
        if done != moved[1]:
            moved = (now, done)
        elif now - moved[0] > 180:
            sys.exit(f"kafka_progress: stuck at {done} of {count} for 180 s")
        if done and first is None:
            first = (now, done, cpu())
        if done >= count:
            break
        try:
            os.kill(pid, 0)
        except OSError:
            sys.exit("kafka_progress: the consumer exited")
        time.sleep(0.1)
    last = cpu()
    seconds = now - first[0]
    rate = (count - first[1]) / seconds if seconds > 0 else 0
    print(json.dumps({
        "per_second": round(rate), "seconds": round(seconds, 3),
        "seconds_from_start": round(now - started, 3),
        "consumer_cpu_seconds": round(last[0] - first[2][0], 2),
        "postgres_cpu_seconds": round(last[1] - first[2][1], 2) if postmaster else None}))


if __name__ == "__main__":
    main()
