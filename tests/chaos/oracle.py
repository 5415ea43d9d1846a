"""The fault suite's oracle and checker: what the rules must give for what was sent, and how
the state read back from the store, its audit and the dead-letter topic differ from it.

What was sent:
- Kafka: per partition, the messages in offset order (key, value, poison or not). The rules
  apply per partition in offset order; a poison message (not JSON, not a valid trade) is
  dead-lettered and audited once, and changes nothing. A tombstone (a key and no value, with
  `deletes = true`) deletes the key's trade, which keeps a tombstone of its last version: only
  a higher version brings it back; a tombstone of no live trade is a failed DELETE, NOT_FOUND.
- REST: per client, its requests in the order their answers came back (request id, trade,
  HTTP status, outcome or reasons). A 201 or 400 was decided exactly once; a request without
  an answer that tells (503, a 5xx, a cut connection) may or may not have been applied: "at
  most once", so each such request doubles the set of states its trade may be in.

Kafka and REST trade ids must be disjoint (nothing orders a message against a request), and so
must the ids of two REST clients. Standard library only."""

import collections
import dataclasses
from typing import Dict, List, Optional, Set, Tuple

BUSINESS_DATE = "2026-11-24"
OUTCOME_OF_ACTION = {"CREATE": "created", "UPDATE": "updated", "REPLACE": "replaced"}
VALIDATION_FAILED = "VALIDATION_FAILED"
DELETE = "DELETE"


@dataclasses.dataclass(frozen=True)
class Payload:
    """What the store holds of one trade, as far as the rules decide it."""
    version: int
    counter_party_id: str
    book_id: str
    maturity_date: str

    @staticmethod
    def of(trade):
        return Payload(trade["version"], trade["counter_party_id"], trade["book_id"],
                       trade["maturity_date"])


@dataclasses.dataclass
class KafkaMessage:
    partition: int
    offset: int
    key: Optional[str]
    trade: Optional[dict]  # the decoded trade; None for poison and tombstones
    poison: bool = False
    deletes: bool = False  # a tombstone: a delete of the key's trade


@dataclasses.dataclass
class RestRequest:
    client: int
    request_id: str
    trade: dict
    status: Optional[int]  # None: no answer (connection cut, timeout)
    outcome: Optional[str] = None  # 201: created, updated or replaced
    reasons: Tuple[str, ...] = ()  # 400: the reason codes


@dataclasses.dataclass
class AuditEntry:
    reference: str
    source: str
    action: str
    reason_codes: Tuple[str, ...]
    trade_id: str
    received_version: Optional[int]


@dataclasses.dataclass
class Observed:
    """What was read back after the run."""
    trades: Dict[str, Payload]
    audit: List[AuditEntry]
    dlq_origins: List[Tuple[int, int]]  # (partition, offset) of each dead letter, as read
    positions: Dict[int, int] = dataclasses.field(default_factory=dict)  # the store's, per partition
    # Per trade, its history as the store keeps it, oldest first: (action, the version's
    # payload, recorded_at in microseconds). None: not read (the check is skipped).
    history: Optional[Dict[str, List[Tuple[str, Payload, int]]]] = None
    # Per deleted trade, the version its tombstone keeps. None: not read (the check is skipped).
    tombstones: Optional[Dict[str, int]] = None


def decide(stored: Optional[Payload], trade: dict, business_date=BUSINESS_DATE,
           deleted: Optional[int] = None):
    """The rules: (action, sorted reason codes, the state after). `deleted`: the version the
    tombstone of a deleted trade keeps (no stored row); only a higher version passes it."""
    codes = []
    if stored is not None and trade["version"] < stored.version:
        codes.append("LOWER_VERSION")
    if trade["maturity_date"] < business_date:
        codes.append("MATURITY_IN_PAST")
    if stored is None and deleted is not None and trade["version"] <= deleted:
        codes.append("DELETED_VERSION")
    if codes:
        return VALIDATION_FAILED, tuple(sorted(codes)), stored
    if stored is None:
        action = "CREATE"
    elif trade["version"] == stored.version:
        action = "REPLACE"
    else:
        action = "UPDATE"
    return action, (), Payload.of(trade)


def decide_delete(stored: Optional[Payload]):
    """A tombstone: (action, reason codes, the state after). The rules do not judge a delete: a
    live trade is deleted (its tombstone keeps its version); no live trade is NOT_FOUND."""
    if stored is None:
        return DELETE, ("NOT_FOUND",), None
    return DELETE, (), None


def kafka_reference(topic, partition, offset):
    return f"{topic}/{partition}/{offset}"


@dataclasses.dataclass
class Expected:
    """What the rules give for one run."""
    # reference -> (action, reason codes) for each decision that must be audited exactly once
    exactly_once: Dict[str, Tuple[str, Tuple[str, ...]]]
    at_most_once: Set[str]  # REST request ids whose outcome the client never learned
    # trade id -> the states it may end in (None: absent)
    possible: Dict[str, Set[Optional[Payload]]]
    poison: Set[Tuple[int, int]]  # (partition, offset) of each poison message
    ends: Dict[int, int]  # the last offset per partition
    acknowledged: List[Tuple[str, int]]  # (trade id, version) of each 201
    # answers that contradict the rules, however the unknown outcomes went
    contradictions: List[str]
    # trade id -> [(reference, payload)] of each message or request the rules accept, in the
    # order they apply: which payload is older than which
    accepted: Dict[str, List[Tuple[str, Payload]]] = dataclasses.field(default_factory=dict)
    # trade id -> the tombstone versions it may end with (None: no tombstone); absent: {None}
    tombstones: Dict[str, Set[Optional[int]]] = dataclasses.field(default_factory=dict)
    # references of the versions that brought a deleted trade back
    recreated: List[str] = dataclasses.field(default_factory=list)


def expect(topic, messages: List[KafkaMessage], requests: List[RestRequest],
           business_date=BUSINESS_DATE) -> Expected:
    exactly_once, possible, poison, ends = {}, {}, set(), {}
    accepted = collections.defaultdict(list)
    tombstones, recreated = {}, []
    kafka_ids = set()
    by_partition = collections.defaultdict(list)
    for m in messages:
        by_partition[m.partition].append(m)
    for partition, stream in by_partition.items():
        stream.sort(key=lambda m: m.offset)
        ends[partition] = stream[-1].offset
        state, deleted = {}, {}  # trade id -> its row; -> its tombstone's version
        for m in stream:
            reference = kafka_reference(topic, partition, m.offset)
            if m.deletes:
                trade_id = m.key
                kafka_ids.add(trade_id)
                stored = state.get(trade_id)
                action, codes, state[trade_id] = decide_delete(stored)
                if not codes:
                    deleted[trade_id] = stored.version
                exactly_once[reference] = (action, codes)
                continue
            if m.poison or m.trade is None:
                poison.add((partition, m.offset))
                exactly_once[reference] = (VALIDATION_FAILED, ("POISON",))
                continue
            trade_id = m.trade["trade_id"]
            kafka_ids.add(trade_id)
            action, codes, state[trade_id] = decide(state.get(trade_id), m.trade, business_date,
                                                    deleted.get(trade_id))
            exactly_once[reference] = (action, codes)
            if action != VALIDATION_FAILED:
                accepted[trade_id].append((reference, Payload.of(m.trade)))
                if deleted.pop(trade_id, None) is not None:
                    recreated.append(reference)
        for trade_id, payload in state.items():
            if trade_id in possible:
                raise ValueError(f"trade {trade_id} is sent on two partitions")
            possible[trade_id] = {payload}
            tombstones[trade_id] = {deleted.get(trade_id)}

    at_most_once, acknowledged, contradictions = set(), [], []
    owner = {}
    for r in requests:
        trade_id = r.trade["trade_id"]
        if trade_id in kafka_ids:
            raise ValueError(f"trade {trade_id} is sent by Kafka and REST")
        if owner.setdefault(trade_id, r.client) != r.client:
            raise ValueError(f"trade {trade_id} is sent by two REST clients")
        states = possible.setdefault(trade_id, {None})
        outcomes = {s: decide(s, r.trade, business_date) for s in states}
        if r.status == 201:
            fits = [s for s, (a, _, _) in outcomes.items() if OUTCOME_OF_ACTION.get(a) == r.outcome]
            action = next((a for a, o in OUTCOME_OF_ACTION.items() if o == r.outcome), "?")
            exactly_once[r.request_id] = (action, ())
            acknowledged.append((trade_id, r.trade["version"]))
            if not fits:
                contradictions.append(f"{r.request_id}: 201 {r.outcome} for {trade_id} "
                                      f"v{r.trade['version']}; the rules give "
                                      f"{sorted({o[0] for o in outcomes.values()})}")
            possible[trade_id] = {Payload.of(r.trade)}
            accepted[trade_id].append((r.request_id, Payload.of(r.trade)))
        elif r.status == 400:
            reasons = tuple(sorted(r.reasons))
            fits = {s for s, (a, c, _) in outcomes.items() if a == VALIDATION_FAILED and c == reasons}
            exactly_once[r.request_id] = (VALIDATION_FAILED, reasons)
            if not fits:
                contradictions.append(f"{r.request_id}: 400 {list(reasons)} for {trade_id} "
                                      f"v{r.trade['version']}; the rules give "
                                      f"{sorted({o[:2] for o in outcomes.values()})}")
            else:
                possible[trade_id] = fits
        elif r.status is None or r.status >= 500:
            at_most_once.add(r.request_id)
            accepted[trade_id].append((r.request_id, Payload.of(r.trade)))
            possible[trade_id] = states | {after for _, _, after in outcomes.values()}
        else:
            contradictions.append(f"{r.request_id}: unexpected status {r.status} for {trade_id}")
    return Expected(exactly_once, at_most_once, possible, poison, ends, acknowledged,
                    contradictions, dict(accepted), tombstones, recreated)


@dataclasses.dataclass
class Report:
    """The checker's findings; every list empty (and no count) means the run held."""
    duplicates: int = 0  # audit entries beyond one per offset or request id
    duplicated_references: List[str] = dataclasses.field(default_factory=list)
    missing_audit: List[str] = dataclasses.field(default_factory=list)
    unexpected_audit: List[str] = dataclasses.field(default_factory=list)
    wrong_decisions: List[str] = dataclasses.field(default_factory=list)
    version_regressions: List[str] = dataclasses.field(default_factory=list)
    content_regressions: List[str] = dataclasses.field(default_factory=list)
    state_mismatches: List[str] = dataclasses.field(default_factory=list)
    # A trade the rules deleted (and left deleted) that is stored again.
    resurrections: List[str] = dataclasses.field(default_factory=list)
    # A tombstone (the version a deleted trade keeps) missing, extra or of another version.
    tombstone_mismatches: List[str] = dataclasses.field(default_factory=list)
    missing_201s: List[str] = dataclasses.field(default_factory=list)
    contradictions: List[str] = dataclasses.field(default_factory=list)
    stalled_partitions: List[int] = dataclasses.field(default_factory=list)
    # A trade whose history, folded (its last version; none after a DELETE, whose version is
    # the tombstone's), is no state the oracle allows, or whose recorded_at does not strictly
    # increase.
    history_mismatches: List[str] = dataclasses.field(default_factory=list)
    dlq_missing: List[Tuple[int, int]] = dataclasses.field(default_factory=list)
    dlq_unexpected: List[Tuple[int, int]] = dataclasses.field(default_factory=list)
    # Dead letters are produced before their batch commits: a crash between the two writes one
    # again (the DLQ is at-least-once). Counted, not a failure.
    dlq_redelivered: int = 0

    CHECKS = ("duplicates", "missing_audit", "unexpected_audit", "wrong_decisions",
              "version_regressions", "content_regressions", "state_mismatches", "resurrections",
              "tombstone_mismatches", "missing_201s", "contradictions", "stalled_partitions",
              "history_mismatches", "dlq_missing", "dlq_unexpected")

    def failed_checks(self):
        return [name for name in self.CHECKS if getattr(self, name)]

    def ok(self):
        return not self.failed_checks()

    def describe(self, limit=5):
        lines = []
        for name in self.CHECKS:
            value = getattr(self, name)
            if not value:
                continue
            if name == "duplicates":
                lines.append(f"duplicates: {value} ({self.duplicated_references[:limit]})")
            else:
                lines.append(f"{name}: {len(value)} {value[:limit]}")
        return lines


def _classify(trade_id, stored, states, tombstones, applied, accepted, report):
    """Where a stored trade differs from every state the oracle allows: a resurrection when the
    rules left it deleted, a version regression when the audit shows a higher version accepted
    (the row went down), a content regression when the row holds the payload of a message older
    than an accepted one of the same version, else a mismatch (missing, behind, or a payload no
    message had)."""
    if stored in states:
        return
    present = [s for s in states if s is not None]
    expected = f"expected one of {present}" if present else "expected absent"
    history = accepted.get(trade_id, [])
    order = {payload: i for i, (_, payload) in enumerate(history)}
    if stored is not None and not present and tombstones - {None}:
        report.resurrections.append(f"{trade_id}: stored {stored}, deleted at "
                                    f"v{max(tombstones - {None})}")
    elif stored is not None and any(v > stored.version for v in applied.get(trade_id, ())):
        report.version_regressions.append(
            f"{trade_id}: stored v{stored.version} after v{max(applied[trade_id])} was "
            f"accepted; {expected}")
    elif stored is not None and stored in order and any(
            i > order[stored] and payload.version == stored.version
            and reference in applied.get((trade_id, "references"), ())
            for i, (reference, payload) in enumerate(history)):
        report.content_regressions.append(f"{trade_id}: stored {stored}, an older payload of "
                                          f"v{stored.version}; {expected}")
    else:
        state = "missing" if stored is None else f"stored {stored}"
        report.state_mismatches.append(f"{trade_id}: {state}, {expected}")


def check(expected: Expected, observed: Observed, topic=None) -> Report:
    report = Report(contradictions=list(expected.contradictions))

    # The final state: version and payload of each trade. What the audit shows accepted tells a
    # row that went down from one that never got there.
    applied = collections.defaultdict(set)
    for entry in observed.audit:
        if entry.action in OUTCOME_OF_ACTION:
            applied[entry.trade_id].add(entry.received_version or 0)
            applied[(entry.trade_id, "references")].add(entry.reference)
    for trade_id in sorted(set(expected.possible) | set(observed.trades)):
        _classify(trade_id, observed.trades.get(trade_id),
                  expected.possible.get(trade_id, {None}),
                  expected.tombstones.get(trade_id, {None}), applied, expected.accepted, report)
    for trade_id, version in expected.acknowledged:
        stored = observed.trades.get(trade_id)
        if stored is None or stored.version < version:
            report.missing_201s.append(f"{trade_id} v{version}: stored {stored}")

    # The audit: one entry per offset and per answered request, at most one per unanswered one.
    by_reference = collections.defaultdict(list)
    for entry in observed.audit:
        by_reference[entry.reference].append(entry)
    for reference, entries in sorted(by_reference.items()):
        known = reference in expected.exactly_once or reference in expected.at_most_once
        if not known:
            report.unexpected_audit.append(reference)
            continue
        if len(entries) > 1:
            report.duplicates += len(entries) - 1
            report.duplicated_references.append(reference)
    for reference, (action, codes) in sorted(expected.exactly_once.items()):
        entries = by_reference.get(reference)
        if not entries:
            report.missing_audit.append(reference)
            continue
        first = entries[0]
        got_codes = tuple(sorted(first.reason_codes))
        if codes == ("POISON",):  # a dead letter: its codes name the poison's class
            fits = first.action == VALIDATION_FAILED
        else:
            fits = (first.action, got_codes) == (action, codes)
        if not fits:
            report.wrong_decisions.append(f"{reference}: audited {first.action} "
                                          f"{list(got_codes)}, expected {action} {list(codes)}")

    # The tombstones: each deleted trade keeps the version it was deleted at, until a higher
    # one brings it back.
    if observed.tombstones is not None:
        for trade_id in sorted(set(expected.tombstones) | set(observed.tombstones)):
            got = observed.tombstones.get(trade_id)
            allowed = expected.tombstones.get(trade_id, {None})
            if got not in allowed:
                report.tombstone_mismatches.append(
                    f"{trade_id}: tombstone {got}, expected one of {allowed}")

    # The history: folding each trade's versions gives a state the rules allow (after a DELETE,
    # none, with a tombstone of the version deleted), at strictly increasing times. Compared
    # with the oracle, not with the trades table, so that a corruption of either is one finding.
    if observed.history is not None:
        for trade_id in sorted(set(expected.possible) | set(observed.history)):
            versions = observed.history.get(trade_id, [])
            folded, stone = None, None
            if versions and versions[-1][0] != DELETE:
                folded = versions[-1][1]
            elif versions:
                stone = versions[-1][1].version
            allowed = expected.possible.get(trade_id, {None})
            stones = expected.tombstones.get(trade_id, {None})
            times = [at for _, _, at in versions]
            if folded not in allowed:
                report.history_mismatches.append(
                    f"{trade_id}: history folds to {folded}, expected one of {allowed}")
            elif stone not in stones:
                report.history_mismatches.append(
                    f"{trade_id}: history ends in a DELETE of v{stone}, expected a tombstone "
                    f"in {stones}")
            elif any(b <= a for a, b in zip(times, times[1:])):
                report.history_mismatches.append(f"{trade_id}: recorded_at not increasing")

    # Every partition got to its end.
    for partition, end in sorted(expected.ends.items()):
        if observed.positions.get(partition, -1) < end:
            report.stalled_partitions.append(partition)

    # The dead-letter topic holds exactly the poison messages.
    counts = collections.Counter(observed.dlq_origins)
    report.dlq_missing = sorted(expected.poison - set(counts))
    report.dlq_unexpected = sorted(set(counts) - expected.poison)
    report.dlq_redelivered = sum(n - 1 for n in counts.values())
    return report
