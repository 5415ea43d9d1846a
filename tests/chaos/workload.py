"""What the fault suite sends: a Kafka stream of trades (versions up, down and equal, past
maturities, tombstones that delete, poison keys and values) produced in chunks while faults
land, and REST clients that post trades one request at a time and record each answer. Standard
library only."""

import http.client
import json
import os
import random
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kafka"))
import kafka_harness  # noqa: E402  (kafka_tool and the broker's address)

from oracle import KafkaMessage, RestRequest  # noqa: E402

FUTURE = "2027-06-30"
PAST = "2026-01-15"  # before the business date: MATURITY_IN_PAST
PARTITIONS = 3
TOMBSTONES = 0.05  # the share of messages that are tombstones (`deletes = true`: deletes)
UNKNOWN_IDS = 0.2  # the share of tombstones of ids never sent: NOT_FOUND

# Poison values: not JSON, or JSON that is not a valid trade. (No value at all is a tombstone,
# a delete: poison only with a poison key.)
POISON_VALUES = [
    "{not json",
    "bad\u0000bytes",
    '{"trade_id": "X", "version": 1',
    json.dumps([1, 2, 3]),
    json.dumps({"trade_id": "X", "version": 0, "counter_party_id": "C", "book_id": "B",
                "maturity_date": FUTURE}),
    json.dumps({"trade_id": "X", "version": 2, "counter_party_id": "C", "book_id": "B",
                "maturity_date": "2027-02-30"}),
    json.dumps({"trade_id": "X", "version": "x", "counter_party_id": "C", "book_id": "B",
                "maturity_date": FUTURE}),
]
# Poison keys: a NUL byte, invalid UTF-8 (0xff, sent raw through surrogateescape), 8,000 bytes.
POISON_KEYS = ["nul\u0000key", "bad-utf8-\udcff\udcfe", "K" * 8000]


def trade(trade_id, version, counter_party_id, maturity=FUTURE):
    return {"trade_id": trade_id, "version": version, "counter_party_id": counter_party_id,
            "book_id": f"B-{trade_id[-1]}", "maturity_date": maturity}


def produce(address, topic, records):
    """Keys and values go raw: json.dumps keeps the surrogates that stand for invalid UTF-8,
    and kafka_harness.tool writes them back as the original bytes."""
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = kafka_harness.tool("produce", "--brokers", address, "--topic", topic,
                             input_text=lines, timeout=300)
    if json.loads(out)["produced"] != len(records):
        raise AssertionError(f"produced {out} of {len(records)} records")


class KafkaStream:
    """count messages over ids trade ids (each on one partition), shuffled versions 1..6,
    5% past maturities, 5% tombstones (a fifth of them of ids never sent), and poison_values
    bad values with ordinary keys. Shuffled, a tombstone may delete a live trade, find none
    (NOT_FOUND), or be followed by a higher version (the trade comes back) or the same or a
    lower one (DELETED_VERSION). poison_records() adds more while the stream runs. Each message
    carries a "seq" header that names it."""

    def __init__(self, name, count, ids, seed, poison_values=0):
        rng = random.Random(seed)
        self.name, self.ids, self.rng = name, ids, rng
        self.records, self.sent = [], {}
        items = []
        for n in range(count):
            index = rng.randrange(ids)
            if rng.random() < TOMBSTONES:
                if rng.random() < UNKNOWN_IDS:
                    index += ids  # never sent as a trade
                items.append((index % PARTITIONS, f"K{name}-{index:05d}", None, False))
                continue
            trade_id = f"K{name}-{index:05d}"
            maturity = PAST if rng.random() < 0.05 else FUTURE
            items.append((index % PARTITIONS, trade_id,
                          trade(trade_id, rng.randint(1, 6), f"CP-{n}", maturity), False))
        for n in range(poison_values):
            index = rng.randrange(ids)
            items.append((index % PARTITIONS, f"K{name}-{index:05d}",
                          POISON_VALUES[n % len(POISON_VALUES)], True))
        rng.shuffle(items)
        self.records = self._add(items)
        self.extra = []  # produced by faults

    def _add(self, items):
        """items: (partition, key, value, poison); a value None is a tombstone."""
        records = []
        for partition, key, value, poison in items:
            seq = str(len(self.sent))
            text = value if poison or value is None else json.dumps(value)
            records.append({"key": key, "value": text, "partition": partition,
                            "headers": [["seq", seq]]})
            self.sent[seq] = (key, None if poison else value, poison)
        return records

    def poison_records(self, rounds=2):
        """Each poison value with an ordinary key, and each poison key once with a poison value
        (a dead letter whose key reaches the audit), once with no value (a tombstone of no valid
        trade id: a dead letter) and once with a valid trade (applied by the trade id of its
        value), `rounds` times, on every partition."""
        items = []
        for n in range(rounds):
            for value in POISON_VALUES:
                index = self.rng.randrange(self.ids)
                items.append((index % PARTITIONS, f"K{self.name}-{index:05d}", value, True))
            for k, key in enumerate(POISON_KEYS):
                for partition in range(PARTITIONS):
                    index = self.rng.randrange(self.ids // PARTITIONS) * PARTITIONS + partition
                    trade_id = f"K{self.name}-{index:05d}"
                    items.append((partition, key, POISON_VALUES[(n + k) % len(POISON_VALUES)],
                                  True))
                    items.append((partition, key, None, True))
                    items.append((partition, key, trade(trade_id, self.rng.randint(1, 6),
                                                        f"CPK-{n}-{k}-{partition}"), False))
        records = self._add(items)
        self.extra.extend(records)
        return records

    def poison_count(self):
        return sum(1 for _, _, poison in self.sent.values() if poison)

    def tombstone_count(self):
        return sum(1 for _, value, poison in self.sent.values() if value is None and not poison)

    def total(self):
        return len(self.sent)

    def produce(self, address, topic, chunks, seconds):
        """Produces the stream in chunks spread over about `seconds`."""
        size = max(1, -(-len(self.records) // chunks))
        for start in range(0, len(self.records), size):
            produce(address, topic, self.records[start:start + size])
            time.sleep(seconds / chunks)

    def read_back(self, address, topic):
        """The stream as the broker holds it: KafkaMessage per offset, identified by seq."""
        messages = []
        for m in kafka_harness.consume(address, topic, timeout_ms=120000):
            seq = kafka_harness.headers_of(m)["seq"]
            key, value, poison = self.sent[seq]
            messages.append(KafkaMessage(m["partition"], m["offset"], key, value, poison,
                                         deletes=value is None and not poison))
        if len(messages) != len(self.sent):
            raise AssertionError(f"the topic holds {len(messages)} of {len(self.sent)} "
                                 "messages")
        return messages


class RestClient(threading.Thread):
    """Posts trades of its own ids (R<name>-<client>-<n>) one request at a time until stopped
    or `limit` requests; records each request with its answer in answer order. No retry of a
    request: a cut connection is an unknown outcome, and the next request gets a new id."""

    def __init__(self, name, client, port_of, stop, limit, seed, ids=40):
        super().__init__(daemon=True)
        self.name_prefix, self.client, self.port_of = name, client, port_of
        self.stop, self.limit, self.ids = stop, limit, ids
        self.rng = random.Random(seed)
        self.requests = []
        self.conn = None
        self.last = {}  # the highest version sent per trade id

    def _post(self, body, request_id):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port_of(self.client),
                                                   timeout=15)
        self.conn.request("POST", "/api/v1/trades", body=json.dumps(body).encode(),
                          headers={"Content-Type": "application/json",
                                   "X-Request-ID": request_id})
        response = self.conn.getresponse()
        data = response.read()
        if (response.getheader("Connection") or "").lower() == "close":
            self.conn.close()
            self.conn = None
        return response.status, data

    def run(self):
        for n in range(self.limit):
            if self.stop.is_set():
                break
            trade_id = f"R{self.name_prefix}-{self.client}-{self.rng.randrange(self.ids)}"
            maturity = PAST if self.rng.random() < 0.05 else FUTURE
            # Mostly up, sometimes the same version (replaced), sometimes one lower (rejected).
            version = max(1, self.last.get(trade_id, 0) + self.rng.choice((-1, 0, 1, 1, 2)))
            self.last[trade_id] = max(version, self.last.get(trade_id, 0))
            body = trade(trade_id, version, f"RC-{self.client}-{n}", maturity)
            request_id = f"{self.name_prefix}-c{self.client}-{n}"
            try:
                status, data = self._post(body, request_id)
            except (OSError, http.client.HTTPException):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                self.requests.append(RestRequest(self.client, request_id, body, None))
                time.sleep(0.1)
                continue
            outcome, reasons = None, ()
            if status == 201:
                outcome = json.loads(data).get("outcome")
            elif status == 400:
                reasons = tuple(json.loads(data).get("reasons", ()))
            elif status >= 500:
                time.sleep(0.05)
            self.requests.append(RestRequest(self.client, request_id, body, status, outcome,
                                             reasons))
        if self.conn is not None:
            self.conn.close()
