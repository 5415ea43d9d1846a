"""tradestored --try-rule on the book-allowlist example and on trade-rules: each line's
decision equals an oracle that applies the rules in order (trade-rules' version and maturity
checks, the allow-list, the SDK's version guard) to the state the lines before left; a line the
REST API refuses is reported with the REST API's own answer, taken from a real daemon."""

import json
import os
import random
import tempfile
import unittest

import harness
from harness import Daemon, run_tradestored, trade

EXAMPLE = os.environ.get("TRADESTORE_SDK_EXAMPLE", "")
WRONG_ABI = os.environ.get("TRADESTORE_WRONG_ABI_PLUGIN", "")
TRADE_RULES = os.path.join(harness.PLUGIN_DIR, "trade-rules.so")
BUSINESS_DATE = "2025-06-02"
BOOKS = ("B1", "B2")
# Lines the REST API refuses: malformed JSON (400) and wrong shapes (422).
MALFORMED = [
    '{"trade_id": "M1", "version": 1,',
    '{"trade_id": "M2", "version": "2", "counter_party_id": "CP-1", "book_id": "B1"}',
    '[1, 2]',
    '{"trade_id": "", "version": 0, "counter_party_id": "CP-1", "book_id": "B1", '
    '"maturity_date": "2025-02-30"}',
]


def oracle(trades, allow_list):
    """[(outcome, [(code, message)])] for the trades applied in order."""
    stored, decisions = {}, []
    for t in trades:
        tid, version, reasons = t["trade_id"], t["version"], []
        current = stored.get(tid)
        if current is not None and version < current:
            reasons.append(("LOWER_VERSION", f"Trade {tid}: Received version {version} is lower "
                                             f"than current version {current}"))
        if t["maturity_date"] < BUSINESS_DATE:
            reasons.append(("MATURITY_IN_PAST", f"Trade {tid}: Maturity date {t['maturity_date']} "
                                                f"is before the business date {BUSINESS_DATE}"))
        if allow_list is not None and t["book_id"] not in allow_list:
            reasons.append(("BOOK_NOT_ALLOWED",
                            f"Trade {tid}: book {t['book_id']} is not in the allow-list"))
        if reasons:
            decisions.append(("rejected", reasons))
            continue
        decisions.append(("created" if current is None else
                          "replaced" if version == current else "updated", []))
        stored[tid] = version
    return decisions


def random_lines(seed, count=60):
    """(lines, {line number: trade}) with malformed lines mixed in, and a blank line."""
    rng = random.Random(seed)
    lines, trades = [], {}
    for _ in range(count):
        if rng.random() < 0.1:
            lines.append(rng.choice(MALFORMED))
            continue
        if rng.random() < 0.05:
            lines.append("")
            continue
        t = trade(f"T{rng.randint(1, 6)}", rng.randint(1, 4),
                  rng.choice(["2024-12-31", BUSINESS_DATE, "2030-01-01"]),
                  rng.choice(["B1", "B2", "B9"]))
        lines.append(json.dumps(t))
        trades[len(lines)] = t
    return lines, trades


def write_lines(lines):
    fd, path = tempfile.mkstemp(prefix="tradestore-try-", suffix=".jsonl")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class TryRuleTest(unittest.TestCase):
    def try_rule(self, plugin, lines, *args):
        path = write_lines(lines)
        self.addCleanup(os.remove, path)
        return run_tradestored("--try-rule", plugin, path, "--business-date", BUSINESS_DATE,
                               "--plugin-dir", harness.PLUGIN_DIR, *args)

    def assert_matches_oracle(self, output, lines, trades, allow_list):
        printed = [json.loads(text) for text in output.splitlines()]
        expected = iter(oracle([trades[n] for n in sorted(trades)], allow_list))
        blank = {n for n, text in enumerate(lines, 1) if not text.strip()}
        self.assertEqual([p["line"] for p in printed],
                         [n for n in range(1, len(lines) + 1) if n not in blank])
        for p in printed:
            if p["line"] not in trades:
                self.assertEqual(p["outcome"], "invalid", p)
                continue
            t = trades[p["line"]]
            outcome, reasons = next(expected)
            self.assertEqual((p["trade_id"], p["version"]), (t["trade_id"], t["version"]))
            self.assertEqual((p["outcome"], [(r["code"], r["message"]) for r in p["reasons"]]),
                             (outcome, reasons), f"line {p['line']}: {lines[p['line'] - 1]}")

    def test_example_in_the_default_chain_decides_as_the_oracle(self):
        self.assertTrue(os.path.isfile(EXAMPLE), f"example plugin not built: {EXAMPLE}")
        for seed in range(5):
            lines, trades = random_lines(seed)
            r = self.try_rule(EXAMPLE, lines, "--settings", "books=B1, B2", "--json")
            self.assertEqual(r.returncode, 1 if len(trades) + lines.count("") < len(lines) else 0,
                             r.stderr)
            self.assert_matches_oracle(r.stdout, lines, trades, BOOKS)
            self.assertIn("rule 1: trade-rules", r.stderr)
            self.assertIn("rule 2: book-allowlist", r.stderr)

    def test_trade_rules_alone_decides_as_the_oracle(self):
        lines, trades = random_lines(42)
        r = self.try_rule(TRADE_RULES, lines, "--json")
        self.assert_matches_oracle(r.stdout, lines, trades, None)
        self.assertNotIn("rule 2", r.stderr)

    def test_alone_runs_only_the_plugin_behind_the_sdk_guard(self):
        lines = [json.dumps(trade("T1", 2, "2020-01-01", "B1")),
                 json.dumps(trade("T1", 1, "2030-01-01", "B9"))]
        r = self.try_rule(EXAMPLE, lines, "--alone", "--settings", "books=B1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            "line 1  T1 v2  created",  # no maturity rule without trade-rules
            "line 2  T1 v1  rejected  BOOK_NOT_ALLOWED: Trade T1: book B9 is not in the "
            "allow-list | LOWER_VERSION: Trade T1: Received version 1 is lower than current "
            "version 2"])

    def test_an_invalid_line_reads_as_the_rest_api_answers_it(self):
        r = self.try_rule(TRADE_RULES, MALFORMED, "--json")
        self.assertEqual(r.returncode, 1, r.stderr)
        printed = [json.loads(text) for text in r.stdout.splitlines()]
        self.assertEqual(len(printed), len(MALFORMED))
        d = Daemon(business_date=BUSINESS_DATE)
        self.addCleanup(d.cleanup)
        d.start()
        for line, p in zip(MALFORMED, printed):
            answer = d.client.request("POST", "/api/v1/trades", line.encode(),
                                      {"Content-Type": "application/json"}, raw=True)
            self.assertEqual((p["status"], p["body"]), (answer.status, answer.json()), line)
        self.assertEqual(d.stop(), 0)

    def test_settings_are_validated_as_the_config_check_does(self):
        lines = [json.dumps(trade())]
        r = self.try_rule(EXAMPLE, lines)
        self.assertEqual(r.returncode, 2)
        self.assertIn("[plugin.book-allowlist] books: required setting is missing", r.stderr)
        self.assertEqual(r.stdout, "")
        fd, ini = tempfile.mkstemp(suffix=".ini")
        self.addCleanup(os.remove, ini)
        with os.fdopen(fd, "w") as f:
            f.write("[plugin.trade-rules]\ncheck_maturity = maybe\n"
                    "[plugin.book-allowlist]\nbookz = B1\n")
        r = self.try_rule(EXAMPLE, lines, "--settings", ini)
        self.assertEqual(r.returncode, 2)
        self.assertIn(f"{ini}:2: [plugin.trade-rules] check_maturity: expected true or false",
                      r.stderr)
        self.assertIn(f"{ini}:4: [plugin.book-allowlist] bookz: unknown setting (did you mean "
                      "'books'?)", r.stderr)
        # The file's section with a KEY=VALUE on top: check_maturity off lets a matured trade in.
        with open(ini, "w") as f:
            f.write("[plugin.trade-rules]\ncheck_maturity = false\n")
        r = self.try_rule(EXAMPLE, [json.dumps(trade(maturity="2020-01-01"))],
                          "--settings", ini, "--settings", "books=B1")
        self.assertEqual((r.returncode, r.stdout), (0, "line 1  T1 v1  created\n"), r.stderr)

    def test_a_plugin_with_another_abi_is_refused_by_the_loader(self):
        self.assertTrue(os.path.isfile(WRONG_ABI), WRONG_ABI)
        r = self.try_rule(WRONG_ABI, [json.dumps(trade())], "--alone")
        self.assertEqual(r.returncode, 2)
        self.assertIn("sdk_abi_version", r.stderr)
        self.assertEqual(r.stdout, "")

    def test_help(self):
        r = run_tradestored("--try-rule", "--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertTrue(r.stdout.startswith("usage: tradestored --try-rule PLUGIN.so"), r.stdout)

    def test_usage_errors(self):
        for args in ([], ["only-one.so"], [TRADE_RULES, "/nonexistent.jsonl"],
                     [TRADE_RULES, "x.jsonl", "--business-date", "2025-02-30"],
                     [TRADE_RULES, "x.jsonl", "--frobnicate"]):
            r = run_tradestored("--try-rule", *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn("tradestored --try-rule: ", r.stderr, args)


if __name__ == "__main__":
    unittest.main()
