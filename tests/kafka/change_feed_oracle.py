"""What the change feed must equal: each trade's history as the REST API serves it. A consumer
of the feed drops duplicates (at least once) by keeping, per trade, the highest history_id it
applied; after that, each trade's messages must be its history rows, in order, field for
field, and no trade may be in one and not the other."""

import json
import re
import time

from kafka_harness import consume


def feed_by_trade(messages):
    """Per key: the decoded values, duplicates dropped as a consumer would (an id at or below
    the last applied for that key). Messages come in partition and offset order, and a key's
    messages are all in one partition."""
    applied, by_trade = {}, {}
    for m in messages:
        value = json.loads(m["value"])
        key = m["key"]
        assert value["trade"]["trade_id"] == key, m
        if value["history_id"] <= applied.get(key, 0):
            continue
        applied[key] = value["history_id"]
        by_trade.setdefault(key, []).append(value)
    return by_trade


def history_of(daemon, trade_id):
    items, skip = [], 0
    while True:
        r = daemon.client.get(f"/api/v1/trades/{trade_id}/history?skip={skip}&limit=1000")
        if r.status == 404:
            return items
        assert r.status == 200, r
        page = r.json()["items"]
        items += page
        if len(page) < 1000:
            return items
        skip += 1000


def backlog_gauge(daemon):
    """The change feed's backlog gauge (counted at each run), or None before its first."""
    text = daemon.client.get("/metrics").body.decode()
    match = re.search(r"^tradestore_change_feed_unpublished_rows (\S+)$", text, re.M)
    return None if match is None else float(match.group(1))


def outbox_rows(view):
    """The rows in the store's change outbox (the SQLite file, read directly)."""
    return view._query("SELECT count(*) FROM change_outbox")[0][0]


def wait_until_published(test, daemon, view, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if outbox_rows(view) == 0:
            return
        time.sleep(0.1)
    test.fail(f"the change outbox still holds {outbox_rows(view)} rows\n"
              + daemon.read_log()[-4000:])


def check_feed_equals_history(test, daemon, address, changes_topic, trade_ids):
    """Returns how many history rows the feed carried; the messages it dropped as duplicates
    are in test.feed_duplicates."""
    messages = consume(address, changes_topic, timeout_ms=5000)
    feed = feed_by_trade(messages)
    test.feed_duplicates = len(messages) - sum(len(values) for values in feed.values())
    test.assertLessEqual(set(feed), set(trade_ids), "the feed names trades nobody sent")
    rows = 0
    for trade_id in sorted(trade_ids):
        history = history_of(daemon, trade_id)
        published = feed.get(trade_id, [])
        ids = [v.pop("history_id") for v in published]
        test.assertEqual(ids, sorted(ids))
        test.assertEqual(published, history, trade_id)
        rows += len(history)
    return rows
