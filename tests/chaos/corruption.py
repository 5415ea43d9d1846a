"""Each check shown able to fail: one corruption of a finished run's state, made with SQL on a
copy of the real store (a copied SQLite file, or a PostgreSQL database created from the
original as its template), or on the dead letters as read. Each corruption names the one
finding the checker must then make, and how many."""

import collections
import dataclasses
import os
import shutil
import uuid

import servers

AUDIT_COLUMNS = ("trade_id, action, status, reason_codes, message, received_version, "
                 "stored_version, source, reference, \"timestamp\"")

# kind -> (the checker's finding, its count)
CORRUPTIONS = {
    "delete-audit": ("missing_audit", 1),
    "duplicate-audit": ("duplicates", 1),
    "lower-version": ("version_regressions", 1),
    "change-payload": ("state_mismatches", 1),  # a payload no message had
    "change-history": ("history_mismatches", 1),  # the last version's payload in the history
    "resurrect": ("resurrections", 1),  # a deleted trade's row back, as it was deleted
    "drop-tombstone": ("tombstone_mismatches", 1),  # a deleted trade's tombstone gone
    "drop-dlq": ("dlq_missing", 1),
}


def _copy_store(scenario):
    if scenario.env.store == "sqlite":
        path = os.path.join(scenario.shared, f"copy-{uuid.uuid4().hex[:6]}.db")
        shutil.copyfile(scenario.store.path, path)
        for suffix in ("-wal",):
            if os.path.exists(scenario.store.path + suffix):
                shutil.copyfile(scenario.store.path + suffix, path + suffix)
        return servers.SqliteStore(path)
    name = f"chaos_copy_{uuid.uuid4().hex[:8]}"
    source = scenario.database_uri.rsplit("/", 1)[1]
    admin = scenario.database_uri.rsplit("/", 1)[0] + "/postgres"
    servers.PgStore(admin).execute(f"CREATE DATABASE {name} TEMPLATE {source}", triggers=True)
    return servers.PgStore(scenario.database_uri.rsplit("/", 1)[0] + "/" + name)


def _a_kafka_trade(observed, expected):
    """A trade from Kafka at version 2 or more, stored as the oracle says (so the corruption
    is the only finding about it)."""
    for trade_id, payload in sorted(observed.trades.items()):
        if (trade_id.startswith("K") and payload.version >= 2
                and expected.possible.get(trade_id) == {payload}):
            return trade_id
    raise AssertionError("no Kafka trade at version 2 or more, stored right, to corrupt")


def _a_deleted_trade(observed, expected):
    """A Kafka trade the rules left deleted, absent with its tombstone as the oracle says."""
    for trade_id, version in sorted((observed.tombstones or {}).items()):
        if (trade_id.startswith("K") and trade_id not in observed.trades
                and expected.possible.get(trade_id) == {None}
                and expected.tombstones.get(trade_id) == {version}):
            return trade_id
    raise AssertionError("no Kafka trade left deleted, with its tombstone, to corrupt")


def _an_audited_offset(observed, expected):
    """A Kafka offset audited exactly once, as it must be, and not a trade's last version or
    delete (whose loss would change its history too: one finding per corruption)."""
    counts = collections.Counter(e.reference for e in observed.audit)
    last = {}
    for entry in observed.audit:
        if entry.action in ("CREATE", "UPDATE", "REPLACE") or (entry.action == "DELETE"
                                                                and not entry.reason_codes):
            last[entry.trade_id] = entry.reference
    for reference, n in sorted(counts.items()):
        if (n == 1 and reference in expected.exactly_once and "/" in reference
                and reference not in last.values()):
            return reference
    raise AssertionError("no offset audited exactly once to corrupt")


def findings(report):
    """Each check's count: the corruption must add exactly its own to a run's findings (the
    run itself may have some: bugs of the daemon are not the checker's to hide)."""
    return {name: (report.duplicates if name == "duplicates" else len(getattr(report, name)))
            for name in report.CHECKS}


def corrupt_store(scenario, observed, expected, kind):
    """(what is then observed, the finding the checker must make, its count)."""
    finding, count = CORRUPTIONS[kind]
    if kind == "drop-dlq":
        counts = collections.Counter(observed.dlq_origins)
        victim = next(o for o, n in sorted(counts.items()) if n == 1 and o in expected.poison)
        return (dataclasses.replace(observed, dlq_origins=[o for o in observed.dlq_origins
                                                           if o != victim]), finding, count)
    store = _copy_store(scenario)
    one_kafka_entry = ("(SELECT id FROM audit_log WHERE reference = "
                       f"'{_an_audited_offset(observed, expected)}')")
    if kind == "delete-audit":
        sql = f"DELETE FROM audit_log WHERE id = {one_kafka_entry};"
    elif kind == "duplicate-audit":
        sql = (f"INSERT INTO audit_log ({AUDIT_COLUMNS}) SELECT {AUDIT_COLUMNS} FROM audit_log "
               f"WHERE id = {one_kafka_entry};")
    elif kind == "lower-version":
        sql = ("UPDATE trades SET version = version - 1 WHERE trade_id = "
               f"'{_a_kafka_trade(observed, expected)}';")
    elif kind == "resurrect":  # the row as the DELETE in its history recorded it
        sql = ("INSERT INTO trades (trade_id, version, counter_party_id, book_id, maturity_date, "
               "created_date, last_updated) SELECT trade_id, stored_version, counter_party_id, "
               "book_id, maturity_date, created_date, recorded_at FROM audit_log WHERE id = "
               "(SELECT max(id) FROM audit_log WHERE trade_id = "
               f"'{_a_deleted_trade(observed, expected)}' AND recorded_at IS NOT NULL);")
    elif kind == "drop-tombstone":
        sql = ("DELETE FROM trade_tombstones WHERE trade_id = "
               f"'{_a_deleted_trade(observed, expected)}';")
    elif kind == "change-history":
        sql = ("UPDATE audit_log SET book_id = 'CORRUPTED' WHERE id = (SELECT max(id) FROM "
               f"audit_log WHERE trade_id = '{_a_kafka_trade(observed, expected)}' AND "
               "recorded_at IS NOT NULL);")
    else:  # change-payload
        sql = ("UPDATE trades SET counter_party_id = 'CORRUPTED' WHERE trade_id = "
               f"'{_a_kafka_trade(observed, expected)}';")
    store.execute(sql)
    positions = servers.read_positions(store, scenario.topic)
    return (dataclasses.replace(observed, trades=servers.read_trades(store),
                                audit=servers.read_audit(store), positions=positions,
                                history=servers.read_history(store),
                                tombstones=servers.read_tombstones(store)),
            finding, count)
