"""Sending messages through tradestored again (docs/recovery.md), with the real daemon and
broker, through `tradestorectl` (which runs tradestorectl-kafka):

 - `dlq replay`: tombstones are dead-lettered while `deletes` is off (with trades that stay
   invalid); after the fix (deletes = true, restart) the tombstones alone are replayed
   (--reason MALFORMED_JSON) into their own partitions, and each deletes its trade exactly
   once, as the rules applied in offset order say. A dry run sends nothing; --since after the
   replay finds nothing to send again.
 - `replay --from`: a deployment with a wrong business date (a month late) rejects trades
   maturing within that month; after the fix, the messages since the deployment are sent
   again and decided under the right date: the store equals the rules applied to the whole
   stream in offset order, copies included (a version already stored replaces itself, a lower
   one is refused), and the messages before --from are not sent again."""

import json
import os
import random
import subprocess
import time
import unittest

from kafka_harness import (StoreView, brokers, consume, create_topic, end_offsets, headers_of,
                           kafka_daemon, kafka_section, produce, trade_body, unique)
from test_deletes import oracle

TRADESTORECTL = os.environ.get("TRADESTORECTL", "")
RIGHT_DATE, WRONG_DATE = "2026-11-24", "2026-12-24"  # the harness's date, and a month late


def ctl(*args):
    """tradestorectl's JSON lines: (the copies listed, the summary)."""
    if not TRADESTORECTL:
        raise RuntimeError("TRADESTORECTL must be set (run the tests through CTest)")
    result = subprocess.run([TRADESTORECTL, *args], capture_output=True, text=True, timeout=180)
    if result.returncode != 0:
        raise AssertionError(f"tradestorectl {args} failed ({result.returncode}): {result.stderr}")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return lines[:-1], lines[-1]


def restart_with(daemon, old, new):
    """Stops the daemon, replaces `old` by `new` in its config (the fix), starts it again."""
    if daemon.process is not None:
        assert daemon.stop() == 0, daemon.read_log()[-3000:]
    with open(daemon.config_path) as f:
        config = f.read()
    assert old in config, old
    with open(daemon.config_path, "w") as f:
        f.write(config.replace(old, new))
    daemon.start()


def now_ms_after(stamp_ms):
    """Waits for the wall clock to pass `stamp_ms` (Kafka's timestamps are milliseconds)."""
    while time.time() * 1000 <= stamp_ms + 1:
        time.sleep(0.002)


class DeadLetterReplayTest(unittest.TestCase):
    def test_dead_lettered_tombstones_replayed_after_deletes_is_turned_on_delete_once(self):
        address = brokers()
        topic = unique("dlq-replay")
        dlq = topic + ".dlq"
        create_topic(address, topic, 3)
        create_topic(address, dlq, 1)
        rng = random.Random(11)
        # Versions 1..3 of 150 ids, shuffled per id; a third end with a tombstone; a few stay
        # invalid (a version that is not a number).
        events = {f"Q{n:03d}": [1, 2, 3] for n in range(150)}
        for trade_id, versions in events.items():
            rng.shuffle(versions)
            if int(trade_id[1:]) % 3 == 0:
                versions.append(None)
        records, cursors = [], dict.fromkeys(events, 0)
        while cursors:
            trade_id = rng.choice(sorted(cursors))
            version = events[trade_id][cursors[trade_id]]
            cursors[trade_id] += 1
            if cursors[trade_id] == len(events[trade_id]):
                del cursors[trade_id]
            value = None if version is None else trade_body(trade_id, version)
            records.append({"key": trade_id, "value": value, "headers": [["seq", "x"]]})
            if rng.random() < 0.03:
                records.append({"key": trade_id, "value": '{"trade_id": "' + trade_id +
                                '", "version": "x"}', "headers": []})
        produce(address, topic, records)
        messages = consume(address, topic)
        daemon = kafka_daemon(kafka_section(address, topic, unique("dlq-group"), dlq,
                                            batch_size=100))
        self.addCleanup(daemon.cleanup)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        daemon.start()
        view.wait_for(topic, end_offsets(messages), daemons=[daemon])
        tombstones = [m for m in messages if m["value"] is None]
        letters = consume(address, dlq)
        self.assertEqual(len(letters), len(tombstones) + sum(
            1 for m in messages if m["value"] and '"x"' in m["value"]))
        # A dead-lettered tombstone stays a tombstone (a null value, not an empty one).
        self.assertEqual(sum(1 for letter in letters if letter["value"] is None),
                         len(tombstones))

        restart_with(daemon, f"dead_letter_topic = {dlq}\n",
                     f"dead_letter_topic = {dlq}\ndeletes = true\n")
        dry, summary = ctl("dlq", "replay", "--brokers", address, "--dlq-topic", dlq,
                           "--reason", "MALFORMED_JSON", "--dry-run")
        self.assertEqual((len(dry), summary["sent"]), (len(tombstones), 0))
        self.assertEqual(len(consume(address, topic)), len(messages))  # nothing was sent
        sent, summary = ctl("dlq", "replay", "--brokers", address, "--dlq-topic", dlq,
                            "--reason", "MALFORMED_JSON")
        self.assertEqual(summary["sent"], len(tombstones))
        self.assertEqual(summary["skipped_other_reason"], len(letters) - len(tombstones))
        replayed_at = int(time.time() * 1000)

        after = consume(address, topic)
        copies = [m for m in after if "tradestore.replay.of" in headers_of(m)]
        self.assertEqual(len(copies), len(tombstones))
        origin = {f"{topic}/{m['partition']}/{m['offset']}": m for m in tombstones}
        for copy in copies:
            headers = headers_of(copy)
            original = origin[headers["tradestore.replay.of"]]
            # Its own partition, its key, still a tombstone, no dead-letter headers.
            self.assertEqual((copy["partition"], copy["key"], copy["value"]),
                             (original["partition"], original["key"], None))
            self.assertFalse([h for h in headers if h.startswith("tradestore.dlq.")])
        view.wait_for(topic, end_offsets(after), daemons=[daemon])

        # The rules in offset order over what was decided: the versions, then the copies (the
        # dead-lettered originals and the invalid trades changed nothing).
        def was_decided(m):
            if m["value"] is None:
                return m in copies
            return '"x"' not in m["value"]

        decided = [m for m in sorted(after, key=lambda m: (m["partition"], m["offset"]))
                   if was_decided(m)]
        state, expected = oracle(decided)
        live = {k: v for k, (v, _) in state.items() if v is not None}
        self.assertEqual({k: t["version"] for k, t in view.trades().items()}, live)
        self.assertEqual(len(live), 150 - len(tombstones))
        audit = {ref: (action, codes) for ref, action, codes, _, _ in view.audit(topic)}
        for copy in copies:
            self.assertEqual(audit[f"{topic}/{copy['partition']}/{copy['offset']}"],
                             ("DELETE", []))
        deletes = [ref for ref, (action, _) in audit.items() if action == "DELETE"]
        self.assertEqual(len(deletes), len(tombstones))  # once each

        # Nothing dead-lettered since the replay: nothing to send again.
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(replayed_at / 1000 + 1)) + "Z"
        now_ms_after(replayed_at + 1000)
        again, summary = ctl("dlq", "replay", "--brokers", address, "--dlq-topic", dlq,
                             "--since", since)
        self.assertEqual((again, summary["sent"]), ([], 0))
        self.assertEqual(daemon.stop(), 0)


def maturity_oracle(decisions):
    """[(message, business date)] in offset order → ({id: (version, counter party)}, expected
    (action, codes) per message): a lower version or a past maturity is refused."""
    state, expected = {}, []
    for m, date in decisions:
        trade = json.loads(m["value"])
        live = state.get(trade["trade_id"])
        codes = []
        if live is not None and trade["version"] < live[0]:
            codes.append("LOWER_VERSION")
        if trade["maturity_date"] < date:
            codes.append("MATURITY_IN_PAST")
        if codes:
            expected.append(("VALIDATION_FAILED", sorted(codes)))
            continue
        action = ("CREATE" if live is None else
                  "REPLACE" if trade["version"] == live[0] else "UPDATE")
        state[trade["trade_id"]] = (trade["version"], trade["counter_party_id"])
        expected.append((action, []))
    return state, expected


class ReplayFromTest(unittest.TestCase):
    def test_messages_since_a_wrong_business_date_are_decided_again_after_the_fix(self):
        address = brokers()
        topic = unique("replay-from")
        create_topic(address, topic, 3)
        rng = random.Random(23)

        def versions(ids, first, last):
            items = [(trade_id, v) for trade_id in ids for v in range(first, last + 1)]
            rng.shuffle(items)  # out of order within an id too: lower versions are refused
            maturity = ["2026-12-10", "2027-03-01"]  # the first is past on the wrong date
            return [{"key": t, "headers": [],
                     "value": json.dumps({"trade_id": t, "version": v,
                                          "counter_party_id": f"CP-{v}-{rng.randrange(9)}",
                                          "book_id": "B1", "maturity_date": rng.choice(maturity)})}
                    for t, v in items]

        ids = [f"F{n:03d}" for n in range(120)]
        before = versions(ids, 1, 2)
        produce(address, topic, before)
        daemon = kafka_daemon(kafka_section(address, topic, unique("from-group"), topic + ".dlq",
                                            batch_size=100))
        self.addCleanup(daemon.cleanup)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        daemon.start()
        first = consume(address, topic)
        view.wait_for(topic, end_offsets(first), daemons=[daemon])

        # The mistake: a deployment with the business date a month late, then more versions.
        restart_with(daemon, f"business_date = {RIGHT_DATE}", f"business_date = {WRONG_DATE}")
        deployed_at = int(time.time() * 1000)
        now_ms_after(deployed_at)
        produce(address, topic, versions(ids, 2, 4))
        wrong = consume(address, topic)
        view.wait_for(topic, end_offsets(wrong), daemons=[daemon])
        rejected = [a for a in view.audit(topic) if a[2] == ["MATURITY_IN_PAST"]]
        self.assertGreater(len(rejected), 50)

        # The fix, then the messages since the deployment sent again.
        restart_with(daemon, f"business_date = {WRONG_DATE}", f"business_date = {RIGHT_DATE}")
        since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(deployed_at // 1000)) + \
            f".{deployed_at % 1000:03d}Z"
        dry, summary = ctl("replay", "--brokers", address, "--topic", topic, "--from", since,
                           "--dry-run")
        self.assertEqual((len(dry), summary["sent"]), (len(wrong) - len(first), 0))
        sent, summary = ctl("replay", "--brokers", address, "--topic", topic, "--from", since)
        self.assertEqual(summary["sent"], len(wrong) - len(first))
        messages = consume(address, topic)
        view.wait_for(topic, end_offsets(messages), daemons=[daemon])

        # The rules in offset order: before the deployment and the copies on the right date,
        # the messages in between on the wrong one.
        end_before = end_offsets(first)
        end_wrong = end_offsets(wrong)
        ordered = sorted(messages, key=lambda m: (m["partition"], m["offset"]))
        dated = []
        for m in ordered:
            in_wrong = end_before.get(m["partition"], -1) < m["offset"] <= end_wrong[m["partition"]]
            dated.append((m, WRONG_DATE if in_wrong else RIGHT_DATE))
        state, expected = maturity_oracle(dated)
        # Every maturity is after the right date: each trade ends at its highest version.
        self.assertEqual({k: t["version"] for k, t in view.trades().items()},
                         dict.fromkeys(ids, 4))
        self.assertEqual({k: (t["version"], t["counter_party_id"]) for k, t in
                          view.trades().items()}, state)
        audit = {ref: (action, codes) for ref, action, codes, _, _ in view.audit(topic)}
        self.assertEqual(len(audit), len(messages))  # each message decided once
        for (m, _), want in zip(dated, expected):
            self.assertEqual(audit[f"{topic}/{m['partition']}/{m['offset']}"], want)
        # Each copy went to its original's partition and names it.
        copies = [m for m in messages if "tradestore.replay.of" in headers_of(m)]
        self.assertEqual(len(copies), len(wrong) - len(first))
        for copy in copies:
            _, partition, offset = headers_of(copy)["tradestore.replay.of"].rsplit("/", 2)
            self.assertEqual(int(partition), copy["partition"])
            self.assertGreater(int(offset), end_before.get(copy["partition"], -1))
        self.assertEqual(daemon.stop(), 0)


if __name__ == "__main__":
    unittest.main()
