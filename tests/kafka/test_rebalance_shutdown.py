"""SIGTERM while the consumer group rebalances: two daemons in one group on a 3-partition topic,
one store; round after round a new member joins and, right after it is assigned partitions,
the newcomer, the older member, or both in turn are stopped with SIGTERM. librdkafka 2.0.2
aborts inside rd_kafka_consumer_close when the close meets a rebalance still in progress, so
every stop must exit 0, and the store must end with one audit entry per message, with the
decisions the rules give."""

import os
import random
import re
import shutil
import tempfile
import time
import unittest

from kafka_harness import (StoreView, brokers, check_store_matches, consume, create_topic,
                           end_offsets, expected_decisions, kafka_daemon, kafka_section, produce,
                           trade_stream, unique)

ROUNDS = int(os.environ.get("TRADESTORE_REBALANCE_ROUNDS", "30"))
# Who is stopped each round. "both": the older member, then the newcomer at once, during the
# rebalance the older one's leaving starts (the case that aborted most often, so every other
# round); "both, after the takeover": the newcomer right after it took the older's partitions.
STOPS = ("both", "newcomer", "both", "older", "both", "both, after the takeover")


def assignments(daemon):
    return len(re.findall(r"kafka-source: assigned ", daemon.read_log()))


class RebalanceShutdownTest(unittest.TestCase):
    def test_sigterm_during_rebalances_exits_cleanly_and_applies_each_message_once(self):
        address = brokers()
        topic = unique("rebalance-stop")
        group = unique("rebalance-stop-group")
        create_topic(address, topic, 3)
        records, classes = trade_stream(300, 10, 300, 300, seed=11)

        shared = tempfile.mkdtemp(prefix="tradestore-kafka-rebalance-")
        self.addCleanup(shutil.rmtree, shared, True)
        # The fault suite's group timings: short sessions, members fenced quickly.
        section = kafka_section(address, topic, group, topic + ".dlq", batch_size=50,
                                properties="session.timeout.ms=3000, heartbeat.interval.ms=300, "
                                "max.poll.interval.ms=4000")

        def start():
            daemon = kafka_daemon(section, data_dir=shared)
            self.addCleanup(daemon.cleanup)
            return daemon.start()

        # A chunk of the stream arrives each round, so batches are in hand at the stops.
        size = -(-len(records) // ROUNDS)
        chunks = [records[i:i + size] for i in range(0, len(records), size)]

        rng = random.Random(5)

        def wait_assigned(daemon, count):
            deadline = time.monotonic() + 30
            while assignments(daemon) <= count and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.3))

        def stopped_cleanly(daemon, round_number):
            log_before = daemon.read_log()
            code = daemon.stop(timeout=60)
            if code == 0:
                return None
            return (f"round {round_number} ({STOPS[round_number % len(STOPS)]}): exited {code} "
                    f"on SIGTERM; the end of its log:\n"
                    f"{daemon.read_log()[max(len(log_before) - 2000, 0):]}")

        older = start()
        failure = None
        for round_number in range(ROUNDS):
            if round_number < len(chunks):
                produce(address, topic, chunks[round_number])
            newer = start()
            # Right after the newcomer's first assignment, while the older member rebalances
            # too.
            wait_assigned(newer, 0)
            kind = STOPS[round_number % len(STOPS)]
            if kind == "newcomer":
                failure = stopped_cleanly(newer, round_number)
            else:
                seen = assignments(newer)
                failure = stopped_cleanly(older, round_number)
                older = newer
                if kind != "older" and not failure:
                    if kind == "both, after the takeover":
                        wait_assigned(newer, seen)
                    failure = stopped_cleanly(newer, round_number)
                    older = start()
            if failure:
                break
        if failure:
            older.stop()
            self.fail(failure)
        for chunk in chunks[ROUNDS:]:
            produce(address, topic, chunk)

        messages = consume(address, topic)
        self.assertEqual(len(messages), len(records))
        decisions, state = expected_decisions(topic, messages, classes)
        view = StoreView(os.path.join(shared, "trades.db"))
        view.wait_for(topic, end_offsets(messages), daemons=[older])
        self.assertEqual(older.stop(), 0, older.read_log()[-3000:])
        check_store_matches(self, view, topic, decisions, state)


if __name__ == "__main__":
    unittest.main()
