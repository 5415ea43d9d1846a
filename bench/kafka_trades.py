#!/usr/bin/env python3
"""The Kafka benchmarks' workload: COUNT trades over 50,000 ids, message n being version
n // 50000 + 1 of trade B<n % 50000>, so every message is a new version of its trade.

    kafka_trades.py COUNT plain [FROM [RATE]]
                                    JSON lines for `kafka_tool produce`: key = trade id, value =
                                    the trade as tradestored's kafka-source reads it; messages
                                    FROM .. COUNT-1, paced to RATE a second when given (a
                                    stream rather than a backlog)
    kafka_trades.py COUNT connect   the same messages, the value in Kafka Connect's JSON schema
                                    envelope ({"schema", "payload"}) with every column of the
                                    trades table (created_date, expired and last_updated are
                                    what tradestored would set), for a JDBC sink
    kafka_trades.py COUNT seeded FROM RATE IDS BOOKS
                                    like plain, over IDS trades S<n % IDS> (S000000 ..) in BOOKS
                                    books (trade S<i> in BOOK-<i % BOOKS>, BOOK-00 ..), so
                                    messages 0 .. IDS-1 seed version 1 of every trade and each
                                    later message is a new version; RATE 0: not paced
    kafka_trades.py COUNT copy      COUNT rows for `COPY trades FROM STDIN` (text format), the
                                    same fields but each with an id of its own (C<n>), since
                                    the table keeps one row per trade id
"""
import datetime
import json
import sys
import time

IDS = 50000
MATURITY_DATE = "2030-06-30"
CREATED_DATE = "2026-11-24"  # the benchmarks' business date
LAST_UPDATED = "2026-11-24T12:00:00+00:00"


def trade(n):
    return {"trade_id": f"B{n % IDS:06d}", "version": n // IDS + 1,
            "counter_party_id": f"CP-{n % 97}", "book_id": f"BOOK-{n % 13}",
            "maturity_date": MATURITY_DATE}


def seeded_trade(n, ids, books):
    i = n % ids
    return {"trade_id": f"S{i:06d}", "version": n // ids + 1,
            "counter_party_id": f"CP-{n % 97}", "book_id": f"BOOK-{i % books:02d}",
            "maturity_date": MATURITY_DATE}


def write_messages(out, make, start, count, rate):
    """JSON lines for `kafka_tool produce` of make(start) .. make(count - 1), paced to RATE a
    second when RATE is not 0."""
    began = time.monotonic()
    for n in range(start, count):
        t = make(n)
        out.write(json.dumps({"key": t["trade_id"], "value": json.dumps(t)}) + "\n")
        if rate and (n - start + 1) % (rate // 10 or 1) == 0:
            out.flush()
            ahead = began + (n - start + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)


def connect_schema():
    def field(name, kind, logical=None):
        entry = {"field": name, "type": kind, "optional": False}
        if logical:
            entry.update({"name": f"org.apache.kafka.connect.data.{logical}", "version": 1})
        return entry
    return {"type": "struct", "name": "trade", "optional": False, "fields": [
        field("trade_id", "string"), field("version", "int64"),
        field("counter_party_id", "string"), field("book_id", "string"),
        field("maturity_date", "int32", "Date"), field("created_date", "int32", "Date"),
        field("expired", "boolean"), field("last_updated", "int64", "Timestamp")]}


def days(date):
    return (datetime.date.fromisoformat(date) - datetime.date(1970, 1, 1)).days


def main():
    count, kind = int(sys.argv[1]), sys.argv[2]
    out = sys.stdout
    if kind == "plain":
        start = int(sys.argv[3]) if len(sys.argv) > 3 else 0
        rate = int(sys.argv[4]) if len(sys.argv) > 4 else 0
        write_messages(out, trade, start, count, rate)
    elif kind == "seeded":
        start, rate, ids, books = map(int, sys.argv[3:7])
        write_messages(out, lambda n: seeded_trade(n, ids, books), start, count, rate)
    elif kind == "connect":
        schema = json.dumps(connect_schema())  # serialized once: most of each message
        extra = {"created_date": days(CREATED_DATE), "expired": False,
                 "last_updated": int(datetime.datetime.fromisoformat(LAST_UPDATED).timestamp()
                                     * 1000)}
        for n in range(count):
            t = trade(n)
            payload = dict(t, maturity_date=days(t["maturity_date"]), **extra)
            value = f'{{"schema": {schema}, "payload": {json.dumps(payload)}}}'
            out.write(json.dumps({"key": t["trade_id"], "value": value}) + "\n")
    elif kind == "copy":
        for n in range(count):
            t = trade(n)
            out.write(f"C{n:07d}\t{t['version']}\t{t['counter_party_id']}\t{t['book_id']}\t"
                      f"{t['maturity_date']}\t{CREATED_DATE}\tf\t{LAST_UPDATED}\n")
    else:
        sys.exit(f"kafka_trades.py: unknown format {kind!r} (plain, seeded, connect or copy)")


main()
