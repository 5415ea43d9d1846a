"""The oracle and the checker on small hand-made histories: what the rules give, and each
finding the checker must make when the observed state differs."""

import unittest

from oracle import (AuditEntry, KafkaMessage, Observed, Payload, RestRequest, check, decide,
                    decide_delete, expect)

TOPIC = "t"
FUTURE, PAST = "2027-06-30", "2026-01-15"


def trade(trade_id, version, cp="CP", maturity=FUTURE):
    return {"trade_id": trade_id, "version": version, "counter_party_id": cp, "book_id": "B",
            "maturity_date": maturity}


def msg(partition, offset, t=None):
    if t is None:
        return KafkaMessage(partition, offset, "bad", None, poison=True)
    return KafkaMessage(partition, offset, t["trade_id"], t)


def tombstone(partition, offset, trade_id):
    return KafkaMessage(partition, offset, trade_id, None, deletes=True)


def kafka_audit(partition, offset, action, codes=(), trade_id="", version=None):
    return AuditEntry(f"{TOPIC}/{partition}/{offset}", "kafka", action, tuple(codes), trade_id,
                      version)


def rest_audit(request_id, action, codes=()):
    return AuditEntry(request_id, "rest", action, tuple(codes), "", None)


# One partition: create, update, a lower version, a poison message, a replace, a past maturity.
MESSAGES = [
    msg(0, 0, trade("K1", 1, "a")),
    msg(0, 1, trade("K1", 3, "b")),
    msg(0, 2, trade("K1", 2, "c")),
    msg(0, 3),
    msg(0, 4, trade("K1", 3, "d")),
    msg(0, 5, trade("K2", 1, "e", PAST)),
]
GOOD_AUDIT = [
    kafka_audit(0, 0, "CREATE", [], "K1", 1),
    kafka_audit(0, 1, "UPDATE", [], "K1", 3),
    kafka_audit(0, 2, "VALIDATION_FAILED", ["LOWER_VERSION"], "K1", 2),
    kafka_audit(0, 3, "VALIDATION_FAILED", ["MALFORMED_JSON"], "bad"),
    kafka_audit(0, 4, "REPLACE", [], "K1", 3),
    kafka_audit(0, 5, "VALIDATION_FAILED", ["MATURITY_IN_PAST"], "K2", 1),
]
FINAL_K1 = Payload(3, "d", "B", FUTURE)


def good_observed():
    return Observed(trades={"K1": FINAL_K1}, audit=list(GOOD_AUDIT), dlq_origins=[(0, 3)],
                    positions={0: 5})


class RulesTest(unittest.TestCase):
    def test_the_version_rule_and_the_maturity_rule(self):
        v2 = Payload(2, "x", "B", FUTURE)
        self.assertEqual(decide(None, trade("T", 1))[:2], ("CREATE", ()))
        self.assertEqual(decide(v2, trade("T", 2))[:2], ("REPLACE", ()))
        self.assertEqual(decide(v2, trade("T", 3))[:2], ("UPDATE", ()))
        self.assertEqual(decide(v2, trade("T", 1)), ("VALIDATION_FAILED", ("LOWER_VERSION",), v2))
        self.assertEqual(decide(v2, trade("T", 1, maturity=PAST))[:2],
                         ("VALIDATION_FAILED", ("LOWER_VERSION", "MATURITY_IN_PAST")))
        # The business date itself is not in the past.
        self.assertEqual(decide(None, trade("T", 1, maturity="2026-11-24"))[0], "CREATE")

    def test_after_a_delete_only_a_higher_version_passes(self):
        self.assertEqual(decide(None, trade("T", 2), deleted=2)[:2],
                         ("VALIDATION_FAILED", ("DELETED_VERSION",)))
        self.assertEqual(decide(None, trade("T", 1), deleted=2),
                         ("VALIDATION_FAILED", ("DELETED_VERSION",), None))
        self.assertEqual(decide(None, trade("T", 1, maturity=PAST), deleted=2)[:2],
                         ("VALIDATION_FAILED", ("DELETED_VERSION", "MATURITY_IN_PAST")))
        self.assertEqual(decide(None, trade("T", 3, maturity=PAST), deleted=2)[:2],
                         ("VALIDATION_FAILED", ("MATURITY_IN_PAST",)))
        # Brought back: created again.
        self.assertEqual(decide(None, trade("T", 3, "x"), deleted=2),
                         ("CREATE", (), Payload(3, "x", "B", FUTURE)))

    def test_a_delete_of_a_live_trade_and_of_none(self):
        self.assertEqual(decide_delete(Payload(2, "x", "B", FUTURE)), ("DELETE", (), None))
        self.assertEqual(decide_delete(None), ("DELETE", ("NOT_FOUND",), None))


class KafkaOracleTest(unittest.TestCase):
    def test_offset_order_decides_and_the_exact_history_passes(self):
        expected = expect(TOPIC, MESSAGES, [])
        self.assertEqual(expected.possible, {"K1": {FINAL_K1}, "K2": {None}})
        self.assertEqual(expected.poison, {(0, 3)})
        self.assertEqual(expected.exactly_once["t/0/2"], ("VALIDATION_FAILED", ("LOWER_VERSION",)))
        report = check(expected, good_observed())
        self.assertEqual(report.failed_checks(), [], report.describe())

    def test_offset_order_not_arrival_order(self):
        # The same messages listed out of order give the same expectation.
        expected = expect(TOPIC, list(reversed(MESSAGES)), [])
        self.assertEqual(expected.possible["K1"], {FINAL_K1})

    def test_a_replayed_offset_is_a_duplicate(self):
        observed = good_observed()
        observed.audit.append(kafka_audit(0, 1, "VALIDATION_FAILED", ["LOWER_VERSION"]))
        report = check(expect(TOPIC, MESSAGES, []), observed)
        self.assertEqual(report.failed_checks(), ["duplicates"])
        self.assertEqual((report.duplicates, report.duplicated_references), (1, ["t/0/1"]))

    def test_a_missing_entry_a_foreign_entry_and_a_wrong_decision(self):
        observed = good_observed()
        observed.audit = [e for e in observed.audit if e.reference != "t/0/4"]
        observed.audit.append(kafka_audit(0, 9, "CREATE"))
        observed.audit[1] = kafka_audit(0, 1, "REPLACE", [], "K1", 3)
        report = check(expect(TOPIC, MESSAGES, []), observed)
        self.assertEqual(report.failed_checks(),
                         ["missing_audit", "unexpected_audit", "wrong_decisions"])
        self.assertEqual(report.missing_audit, ["t/0/4"])
        self.assertEqual(report.unexpected_audit, ["t/0/9"])
        self.assertEqual(len(report.wrong_decisions), 1)

    def test_a_lower_version_and_an_older_payload_are_regressions(self):
        observed = good_observed()
        observed.trades["K1"] = Payload(1, "a", "B", FUTURE)
        self.assertEqual(check(expect(TOPIC, MESSAGES, []), observed).failed_checks(),
                         ["version_regressions"])
        # The same version with the payload of the offset it replaced.
        observed.trades["K1"] = Payload(3, "b", "B", FUTURE)
        self.assertEqual(check(expect(TOPIC, MESSAGES, []), observed).failed_checks(),
                         ["content_regressions"])
        # A payload no message had, a trade that must not exist, a trade missing.
        observed.trades["K1"] = Payload(3, "zz", "B", FUTURE)
        self.assertEqual(check(expect(TOPIC, MESSAGES, []), observed).failed_checks(),
                         ["state_mismatches"])
        del observed.trades["K1"]
        observed.trades["K2"] = Payload(1, "e", "B", PAST)
        report = check(expect(TOPIC, MESSAGES, []), observed)
        self.assertEqual(report.failed_checks(), ["state_mismatches"])
        self.assertEqual(len(report.state_mismatches), 2)

    def test_a_trade_behind_without_a_higher_version_accepted_is_no_regression(self):
        # Offsets 1 and 4 never applied (lost, or a stalled partition): the row never went down.
        observed = good_observed()
        observed.audit = [e for e in observed.audit if e.reference not in ("t/0/1", "t/0/4")]
        observed.trades["K1"] = Payload(1, "a", "B", FUTURE)
        report = check(expect(TOPIC, MESSAGES, []), observed)
        self.assertEqual(report.failed_checks(), ["missing_audit", "state_mismatches"])

    def test_a_partition_short_of_its_end_is_stalled(self):
        observed = good_observed()
        observed.positions = {0: 2}
        self.assertEqual(check(expect(TOPIC, MESSAGES, []), observed).stalled_partitions, [0])

    def test_the_dead_letter_topic_holds_exactly_the_poison(self):
        observed = good_observed()
        observed.dlq_origins = []
        self.assertEqual(check(expect(TOPIC, MESSAGES, []), observed).failed_checks(),
                         ["dlq_missing"])
        observed.dlq_origins = [(0, 3), (0, 2)]
        self.assertEqual(check(expect(TOPIC, MESSAGES, []), observed).failed_checks(),
                         ["dlq_unexpected"])
        observed.dlq_origins = [(0, 3), (0, 3)]
        report = check(expect(TOPIC, MESSAGES, []), observed)
        self.assertEqual((report.failed_checks(), report.dlq_redelivered), ([], 1))

    def test_one_trade_on_two_partitions_is_refused(self):
        with self.assertRaises(ValueError):
            expect(TOPIC, [msg(0, 0, trade("K1", 1)), msg(1, 0, trade("K1", 2))], [])


# One partition with tombstones: D1 created, deleted (tombstone v2), its same and lower versions
# refused, deleted again (nothing to delete), brought back at v3, deleted for good (tombstone
# v3); D2 never sent, only deleted; D3 deleted, brought back with a higher version, and live;
# a past maturity after a delete has both codes.
DELETES = [
    msg(0, 0, trade("D1", 2, "a")),
    tombstone(0, 1, "D1"),
    msg(0, 2, trade("D1", 2, "b")),
    msg(0, 3, trade("D1", 1, "c")),
    tombstone(0, 4, "D1"),
    tombstone(0, 5, "D2"),
    msg(0, 6, trade("D1", 3, "d")),
    msg(0, 7, trade("D3", 1, "e")),
    tombstone(0, 8, "D3"),
    msg(0, 9, trade("D3", 1, "f", PAST)),
    msg(0, 10, trade("D3", 4, "g")),
    tombstone(0, 11, "D1"),
    msg(0, 12, trade("D3", 2, "h")),
]
DELETES_AUDIT = [
    kafka_audit(0, 0, "CREATE", [], "D1", 2),
    kafka_audit(0, 1, "DELETE", [], "D1"),
    kafka_audit(0, 2, "VALIDATION_FAILED", ["DELETED_VERSION"], "D1", 2),
    kafka_audit(0, 3, "VALIDATION_FAILED", ["DELETED_VERSION"], "D1", 1),
    kafka_audit(0, 4, "DELETE", ["NOT_FOUND"], "D1"),
    kafka_audit(0, 5, "DELETE", ["NOT_FOUND"], "D2"),
    kafka_audit(0, 6, "CREATE", [], "D1", 3),
    kafka_audit(0, 7, "CREATE", [], "D3", 1),
    kafka_audit(0, 8, "DELETE", [], "D3"),
    kafka_audit(0, 9, "VALIDATION_FAILED", ["DELETED_VERSION", "MATURITY_IN_PAST"], "D3", 1),
    kafka_audit(0, 10, "CREATE", [], "D3", 4),
    kafka_audit(0, 11, "DELETE", [], "D1"),
    kafka_audit(0, 12, "VALIDATION_FAILED", ["LOWER_VERSION"], "D3", 2),
]
D1 = [Payload(2, "a", "B", FUTURE), Payload(3, "d", "B", FUTURE)]
D3 = [Payload(1, "e", "B", FUTURE), Payload(4, "g", "B", FUTURE)]


def deletes_observed():
    history = {"D1": [("CREATE", D1[0], 1), ("DELETE", D1[0], 2), ("CREATE", D1[1], 3),
                      ("DELETE", D1[1], 4)],
               "D3": [("CREATE", D3[0], 5), ("DELETE", D3[0], 6), ("CREATE", D3[1], 7)]}
    return Observed(trades={"D3": D3[1]}, audit=list(DELETES_AUDIT), dlq_origins=[],
                    positions={0: 12}, history=history, tombstones={"D1": 3})


class DeletesOracleTest(unittest.TestCase):
    def test_tombstones_apply_in_offset_order(self):
        expected = expect(TOPIC, DELETES, [])
        self.assertEqual(expected.possible, {"D1": {None}, "D2": {None}, "D3": {D3[1]}})
        self.assertEqual(expected.tombstones, {"D1": {3}, "D2": {None}, "D3": {None}})
        self.assertEqual(expected.recreated, ["t/0/6", "t/0/10"])
        self.assertEqual(expected.poison, set())
        for entry in DELETES_AUDIT:
            self.assertEqual(expected.exactly_once[entry.reference],
                             (entry.action, entry.reason_codes), entry.reference)
        report = check(expected, deletes_observed())
        self.assertEqual(report.failed_checks(), [], report.describe())

    def test_a_deleted_trade_stored_again_is_a_resurrection(self):
        observed = deletes_observed()
        observed.trades["D1"] = D1[1]
        report = check(expect(TOPIC, DELETES, []), observed)
        self.assertEqual(report.failed_checks(), ["resurrections"])
        self.assertEqual(report.resurrections, [f"D1: stored {D1[1]}, deleted at v3"])
        # A trade that must be live, missing: deleted when it must not be.
        observed = deletes_observed()
        del observed.trades["D3"]
        self.assertEqual(check(expect(TOPIC, DELETES, []), observed).failed_checks(),
                         ["state_mismatches"])

    def test_a_tombstone_missing_extra_or_of_another_version(self):
        expected = expect(TOPIC, DELETES, [])
        for tombstones in ({}, {"D1": 2}, {"D1": 3, "D3": 1}, {"D1": 3, "D2": 1}):
            observed = deletes_observed()
            observed.tombstones = tombstones
            report = check(expected, observed)
            self.assertEqual(report.failed_checks(), ["tombstone_mismatches"], tombstones)
            self.assertEqual(len(report.tombstone_mismatches), 1, tombstones)
        # Not read: not checked.
        observed = deletes_observed()
        observed.tombstones = None
        self.assertEqual(check(expected, observed).failed_checks(), [])

    def test_a_delete_audited_wrong_or_missing(self):
        expected = expect(TOPIC, DELETES, [])
        observed = deletes_observed()
        observed.audit[1] = kafka_audit(0, 1, "DELETE", ["NOT_FOUND"], "D1")
        observed.audit[5] = kafka_audit(0, 5, "DELETE", [], "D2")
        report = check(expected, observed)
        self.assertEqual(report.failed_checks(), ["wrong_decisions"])
        self.assertEqual(len(report.wrong_decisions), 2)
        observed = deletes_observed()
        del observed.audit[11]
        self.assertEqual(check(expected, observed).missing_audit, ["t/0/11"])

    def test_the_history_must_end_in_the_delete_of_the_tombstones_version(self):
        expected = expect(TOPIC, DELETES, [])
        observed = deletes_observed()
        observed.history["D1"] = observed.history["D1"][:-1]  # the last DELETE lost
        self.assertEqual(check(expected, observed).failed_checks(), ["history_mismatches"])
        observed = deletes_observed()
        observed.history["D1"][-1] = ("DELETE", D1[0], 4)  # a delete of another version
        report = check(expected, observed)
        self.assertEqual(report.failed_checks(), ["history_mismatches"])
        self.assertIn("DELETE of v2", report.history_mismatches[0])
        observed = deletes_observed()
        observed.history["D3"].append(("DELETE", D3[1], 8))  # D3 deleted in the history only
        self.assertEqual(check(expected, observed).failed_checks(), ["history_mismatches"])

    def test_a_tombstone_key_sent_by_rest_too_is_refused(self):
        with self.assertRaises(ValueError):
            expect(TOPIC, [tombstone(0, 0, "R1")],
                   [RestRequest(0, "a", trade("R1", 1), 201, "created")])


class RestOracleTest(unittest.TestCase):
    def requests(self):
        return [
            RestRequest(0, "r1", trade("R1", 2, "a"), 201, "created"),
            RestRequest(0, "r2", trade("R1", 1, "b"), 400, reasons=("LOWER_VERSION",)),
            RestRequest(0, "r3", trade("R1", 4, "c"), 503),  # applied or not
            RestRequest(0, "r4", trade("R1", 3, "d"), None),  # no answer at all
        ]

    def test_an_unknown_outcome_widens_the_possible_states(self):
        expected = expect(TOPIC, [], self.requests())
        a, c, d = (Payload(2, "a", "B", FUTURE), Payload(4, "c", "B", FUTURE),
                   Payload(3, "d", "B", FUTURE))
        self.assertEqual(expected.possible["R1"], {a, c, d})
        self.assertEqual(expected.at_most_once, {"r3", "r4"})
        self.assertEqual(expected.acknowledged, [("R1", 2)])
        for stored in (a, c, d):
            observed = Observed({"R1": stored}, [rest_audit("r1", "CREATE"),
                                                 rest_audit("r2", "VALIDATION_FAILED",
                                                            ["LOWER_VERSION"])], [])
            self.assertEqual(check(expected, observed).failed_checks(), [], stored)

    def test_an_answer_narrows_them_again(self):
        requests = self.requests() + [
            RestRequest(0, "r5", trade("R1", 3, "e"), 400, reasons=("LOWER_VERSION",))]
        # Only the state where r3 (v4) applied gives LOWER_VERSION for v3.
        self.assertEqual(expect(TOPIC, [], requests).possible["R1"],
                         {Payload(4, "c", "B", FUTURE)})

    def test_an_unanswered_request_audited_twice_is_a_duplicate(self):
        observed = Observed({"R1": Payload(4, "c", "B", FUTURE)},
                            [rest_audit("r1", "CREATE"),
                             rest_audit("r2", "VALIDATION_FAILED", ["LOWER_VERSION"]),
                             rest_audit("r3", "UPDATE"), rest_audit("r3", "UPDATE")], [])
        report = check(expect(TOPIC, [], self.requests()), observed)
        self.assertEqual((report.failed_checks(), report.duplicates), (["duplicates"], 1))

    def test_an_answered_request_without_audit_and_a_lost_201(self):
        observed = Observed({}, [rest_audit("r1", "CREATE")], [])
        report = check(expect(TOPIC, [], self.requests()), observed)
        self.assertEqual(report.failed_checks(),
                         ["missing_audit", "state_mismatches", "missing_201s"])
        self.assertEqual(report.missing_audit, ["r2"])

    def test_an_answer_the_rules_cannot_give_is_a_contradiction(self):
        # A 201 "replaced" for a first version, as a request applied twice would answer.
        requests = [RestRequest(0, "r1", trade("R1", 1), 201, "replaced")]
        report = check(expect(TOPIC, [], requests),
                       Observed({"R1": Payload(1, "CP", "B", FUTURE)},
                                [rest_audit("r1", "REPLACE")], []))
        self.assertEqual(report.failed_checks(), ["contradictions"])

    def test_two_clients_on_one_trade_are_refused(self):
        with self.assertRaises(ValueError):
            expect(TOPIC, [], [RestRequest(0, "a", trade("R1", 1), 201, "created"),
                               RestRequest(1, "b", trade("R1", 2), 201, "updated")])


if __name__ == "__main__":
    unittest.main()
