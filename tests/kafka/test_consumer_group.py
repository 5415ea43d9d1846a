"""Two daemons in one consumer group on a 3-partition topic, sharing one store; one is killed
(-9) mid-stream: the other takes its partitions once the session times out (6 s here) and the
final state is complete, with one audit entry per message."""

import os
import re
import signal
import tempfile
import threading
import shutil
import time
import unittest

from kafka_harness import (StoreView, brokers, check_store_matches, consume, create_topic,
                           end_offsets, expected_decisions, kafka_daemon, kafka_section, produce,
                           trade_stream, unique)


def assigned_partitions(log):
    """The partitions of the last assignment in a daemon log: {"topic/p", ...}."""
    lines = re.findall(r"kafka-source: assigned (.*)", log)
    if not lines:
        return set()
    return {entry.split("@")[0] for entry in lines[-1].split(", ")}


class ConsumerGroupTest(unittest.TestCase):
    def test_the_survivor_takes_over_a_killed_members_partitions(self):
        address = brokers()
        topic = unique("group")
        group = unique("group-group")
        create_topic(address, topic, 3)
        records, classes = trade_stream(1000, 18, 1000, 1000, seed=3)

        shared = tempfile.mkdtemp(prefix="tradestore-kafka-group-")
        self.addCleanup(shutil.rmtree, shared, True)
        section = kafka_section(address, topic, group, topic + ".dlq", batch_size=100)
        first = kafka_daemon(section, data_dir=shared)
        second = kafka_daemon(section, data_dir=shared)
        self.addCleanup(first.cleanup)
        self.addCleanup(second.cleanup)
        first.start()
        second.start()
        # Both members hold partitions before the stream begins.
        deadline = time.monotonic() + 60
        while True:
            mine, theirs = assigned_partitions(first.read_log()), assigned_partitions(
                second.read_log())
            if mine and theirs and not (mine & theirs) and len(mine | theirs) == 3:
                break
            self.assertLess(time.monotonic(), deadline, first.read_log() + second.read_log())
            time.sleep(0.1)
        killed_partitions = mine

        # The stream arrives over a few seconds, so the kill lands in the middle of it.
        chunks = [records[i:i + 2000] for i in range(0, len(records), 2000)]

        def produce_slowly():
            for chunk in chunks:
                produce(address, topic, chunk)
                time.sleep(0.3)

        producer = threading.Thread(target=produce_slowly)
        producer.start()
        view = StoreView(os.path.join(shared, "trades.db"))
        ends_so_far = {0: 10**9, 1: 10**9, 2: 10**9}
        deadline = time.monotonic() + 60
        while view.progress(topic, ends_so_far) < 4000:
            self.assertLess(time.monotonic(), deadline, first.read_log())
            time.sleep(0.01)
        first.stop(sig=signal.SIGKILL)
        # Taken at once: by the time the whole topic has been read back below, the survivor
        # may well have finished the stream.
        applied_at_kill = view.progress(topic, ends_so_far)
        producer.join()

        messages = consume(address, topic)
        self.assertEqual(len(messages), len(records))
        decisions, state = expected_decisions(topic, messages, classes)
        ends = end_offsets(messages)
        self.assertLess(applied_at_kill, len(records), "the kill came after the end")
        view.wait_for(topic, ends, daemons=[second])
        # The survivor took the killed member's partitions.
        self.assertEqual(assigned_partitions(second.read_log()), {f"{topic}/{p}" for p in ends})
        self.assertTrue(killed_partitions)
        self.assertEqual(second.stop(), 0)
        check_store_matches(self, view, topic, decisions, state)


if __name__ == "__main__":
    unittest.main()
