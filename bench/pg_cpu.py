#!/usr/bin/env python3
"""CPU seconds spent so far by PostgreSQL clusters and processes, for the benchmarks.

    pg_cpu.py DATA_DIR|PID ...

Prints one number per argument, space-separated. For a PostgreSQL data directory: utime +
stime of the postmaster named by DATA_DIR/postmaster.pid, of its live children (backends,
walsender, walreceiver, startup, checkpointer, ...) and of those already reaped (cutime +
cstime). For a process id: that process's (all its threads). The difference of two readings
is the CPU time in between.
"""
import sys

from kafka_progress import children_cpu_seconds, cpu_seconds


def cluster_cpu_seconds(data_dir):
    with open(f"{data_dir}/postmaster.pid") as f:
        postmaster = int(f.readline())
    return cpu_seconds(postmaster) + children_cpu_seconds(postmaster)


if __name__ == "__main__":
    print(" ".join(f"{cpu_seconds(int(a)) if a.isdigit() else cluster_cpu_seconds(a):.2f}"
                   for a in sys.argv[1:]))
