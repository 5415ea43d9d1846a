"""Kafka tombstones as deletes (kafka-source `deletes = true`), through the real daemon and
broker: versions and tombstones of 300 ids, shuffled per id, keyed by id (so each id's
messages keep their order in one partition). An oracle applies the rules to each id's
messages in order (a lower version is refused, a tombstone of a live trade deletes it and
keeps its version, only a higher version passes that tombstone, a tombstone of nothing is
NOT_FOUND); the store, every decision's audit entry and every trade's history must say the
same. Without `deletes`, a tombstone is dead-lettered and changes nothing."""

import os
import random
import unittest

from kafka_harness import (StoreView, brokers, consume, create_topic, end_offsets, headers_of,
                           kafka_daemon, kafka_section, produce, trade_body, unique)

IDS = 300


def stream(seed):
    """Per id: versions 1..4 and two tombstones, shuffled; the ids interleaved."""
    rng = random.Random(seed)
    per_id = {}
    for n in range(IDS):
        trade_id = f"D{n:04d}"
        events = [("version", v) for v in range(1, 5)] + [("delete", None)] * 2
        rng.shuffle(events)
        per_id[trade_id] = events
    records, cursors = [], {trade_id: 0 for trade_id in per_id}
    while cursors:
        trade_id = rng.choice(sorted(cursors))
        kind, version = per_id[trade_id][cursors[trade_id]]
        cursors[trade_id] += 1
        if cursors[trade_id] == len(per_id[trade_id]):
            del cursors[trade_id]
        records.append({"key": trade_id,
                        "value": trade_body(trade_id, version) if kind == "version" else None,
                        "headers": []})
    return records


def oracle(records):
    """The rules applied in order: per id (live version, tombstone version), and per record
    the expected (action, success, codes) of its audit entry."""
    state, expected = {}, []
    for r in records:
        live, stone = state.get(r["key"], (None, None))
        if r["value"] is None:
            if live is None:
                expected.append(("DELETE", False, ["NOT_FOUND"]))
            else:
                expected.append(("DELETE", True, []))
                live, stone = None, live
        else:
            version = int(r["value"].split('"version": ')[1].split(",")[0])
            if live is not None and version < live:
                expected.append(("VALIDATION_FAILED", False, ["LOWER_VERSION"]))
            elif live is None and stone is not None and version <= stone:
                expected.append(("VALIDATION_FAILED", False, ["DELETED_VERSION"]))
            else:
                action = "CREATE" if live is None else (
                    "REPLACE" if version == live else "UPDATE")
                expected.append((action, True, []))
                live, stone = version, None
        state[r["key"]] = (live, stone)
    return state, expected


class TombstoneDeletesTest(unittest.TestCase):
    def run_stream(self, deletes):
        address = brokers()
        topic = unique("deletes")
        create_topic(address, topic, 3)
        records = stream(seed=20261207)
        produce(address, topic, records)
        messages = consume(address, topic)
        self.assertEqual(len(messages), len(records))
        extra = "deletes = true" if deletes else ""
        daemon = kafka_daemon(kafka_section(address, topic, unique("deletes-group"),
                                            topic + ".dlq", batch_size=100, extra=extra))
        self.addCleanup(daemon.cleanup)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        daemon.start()
        view.wait_for(topic, end_offsets(messages), daemons=[daemon])
        return address, topic, messages, daemon, view

    def test_tombstones_delete_as_the_rules_applied_in_order_say(self):
        address, topic, messages, daemon, view = self.run_stream(deletes=True)
        state, expected = oracle(messages)
        # The store: live trades at their version, deleted ones absent.
        live = {k: v for k, (v, _) in state.items() if v is not None}
        self.assertEqual({k: t["version"] for k, t in view.trades().items()}, live)
        self.assertGreater(len(live), 50)
        self.assertGreater(len(state) - len(live), 50)
        # Every message decided once, as the oracle says, in message order per key.
        audit = {ref: (action, codes) for ref, action, codes, _, _ in view.audit(topic)}
        self.assertEqual(len(audit), len(messages))
        for m, (action, success, codes) in zip(messages, expected):
            ref = f"{topic}/{m['partition']}/{m['offset']}"
            self.assertEqual(audit[ref], (action, codes), (ref, m["key"], m["value"]))
        # Each trade's history: one version per accepted decision, ending in a DELETE for a
        # deleted trade; as the REST API serves it.
        accepted = {}
        for m, (action, success, _) in zip(messages, expected):
            if success:
                accepted.setdefault(m["key"], []).append(action)
        for trade_id in sorted(accepted)[:40]:
            r = daemon.client.get(f"/api/v1/trades/{trade_id}/history?limit=1000")
            self.assertEqual(r.status, 200, r)
            self.assertEqual([i["action"] for i in r.json()["items"]], accepted[trade_id])
        self.assertEqual(consume(address, topic + ".dlq", timeout_ms=3000), [])

    def test_without_deletes_a_tombstone_is_dead_lettered_and_changes_nothing(self):
        address, topic, messages, daemon, view = self.run_stream(deletes=False)
        tombstones = [m for m in messages if m["value"] is None]
        letters = consume(address, topic + ".dlq")
        self.assertEqual(len(letters), len(tombstones))
        for letter in letters:
            self.assertEqual(headers_of(letter)["tradestore.dlq.reason"], "MALFORMED_JSON")
            self.assertIn("deletes = true", headers_of(letter)["tradestore.dlq.error"])
        versions = {}
        for m in messages:
            if m["value"] is not None:
                v = int(m["value"].split('"version": ')[1].split(",")[0])
                versions[m["key"]] = max(versions.get(m["key"], 0), v)
        self.assertEqual({k: t["version"] for k, t in view.trades().items()}, versions)


if __name__ == "__main__":
    unittest.main()
