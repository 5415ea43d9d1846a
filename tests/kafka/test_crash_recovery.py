"""kill -9 the daemon at random points while it consumes, restart it, five times: nothing is
lost, no version regresses, the final state and the audit are exactly those of a run without
kills, and no (topic, partition, offset) has two audit entries: at-least-once delivery,
exactly-once effect. 100,000 messages over 3 partitions, 5,000 ids, as the issue asks
(TRADESTORE_KAFKA_TEST_IDS scales it: 20 messages per id)."""

import os
import random
import signal
import sys
import time
import unittest

from kafka_harness import (INVALID_TRADE, MALFORMED_JSON, StoreView, brokers,
                           check_store_matches, committed, consume, create_topic, end_offsets,
                           expected_decisions, headers_of, kafka_daemon, kafka_section, produce,
                           trade_stream, unique)

KILLS = 5
IDS = int(os.environ.get("TRADESTORE_KAFKA_TEST_IDS", "5000"))


class CrashRecoveryTest(unittest.TestCase):
    def test_kill_9_five_times_while_consuming_changes_nothing(self):
        address = brokers()
        topic = unique("crash")
        group = unique("crash-group")
        create_topic(address, topic, 3)
        records, classes = trade_stream(IDS, 18, IDS, IDS, seed=7)
        produce(address, topic, records)
        messages = consume(address, topic)
        decisions, state = expected_decisions(topic, messages, classes)
        ends = end_offsets(messages)
        total = len(messages)

        # Small batches so that a kill lands between many commits. Static membership lets
        # the restarted daemon take its partitions back at once instead of waiting for the
        # dead member's session to expire.
        daemon = kafka_daemon(kafka_section(address, topic, group, topic + ".dlq",
                                            batch_size=100,
                                            properties="group.instance.id=crash-node-1"))
        self.addCleanup(daemon.cleanup)
        view = StoreView(os.path.join(daemon.data_dir, "trades.db"))
        rng = random.Random(11)
        progress_at_kill = []
        redelivery = []
        versions = {}
        for kill in range(KILLS):
            daemon.start()
            before = view.progress(topic, ends)
            # A random point of what is left, reached while consuming: not before, not after.
            target = before + int((total - before) * rng.uniform(0.1, 0.5))
            deadline = time.monotonic() + 60
            while view.progress(topic, ends) < target:
                self.assertLess(time.monotonic(), deadline,
                                f"no progress before kill {kill + 1}:\n{daemon.read_log()[-3000:]}")
                time.sleep(0.005)
            daemon.stop(sig=signal.SIGKILL)
            progress_at_kill.append(view.progress(topic, ends))
            # What Kafka would redeliver: everything between the committed offsets and what
            # the store recorded. The restart must skip exactly that.
            offsets = committed(address, group, topic)
            positions = view.positions(topic)
            redelivery.append(sum(max(0, positions.get(p, -1) + 1 - max(offsets.get(p, 0), 0))
                                  for p in ends))
            # No version regresses from one kill to the next, nor passes the final one.
            snapshot = {tid: t["version"] for tid, t in view.trades().items()}
            for trade_id, version in snapshot.items():
                self.assertGreaterEqual(version, versions.get(trade_id, 0), trade_id)
                self.assertLessEqual(version, state[trade_id], trade_id)
            self.assertLessEqual(set(versions), set(snapshot))
            versions = snapshot

        print(f"\nprogress at each kill: {progress_at_kill} of {total}; messages Kafka "
              f"would redeliver below the store's positions: {redelivery}", file=sys.stderr)
        self.assertEqual(len(progress_at_kill), KILLS)
        self.assertGreater(sum(redelivery), 0, "no kill left committed offsets behind the store")
        self.assertLess(progress_at_kill[-1], total, "the last kill came after the end")
        daemon.start()
        view.wait_for(topic, ends, daemons=[daemon])
        self.assertEqual(daemon.stop(), 0)

        check_store_matches(self, view, topic, decisions, state)
        # Dead letters are written before their batch commits, so every bad message is there
        # (a kill between the two may write one twice: the DLQ is at-least-once).
        letters = consume(address, topic + ".dlq")
        origins = {(int(headers_of(m)["tradestore.dlq.partition"]),
                    int(headers_of(m)["tradestore.dlq.offset"])) for m in letters}
        bad = {(m["partition"], m["offset"]) for m in messages
               if classes[headers_of(m)["seq"]] in (MALFORMED_JSON, INVALID_TRADE)}
        self.assertEqual(origins, bad)


if __name__ == "__main__":
    unittest.main()
