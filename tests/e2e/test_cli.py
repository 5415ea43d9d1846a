"""tradestorectl against the real daemon: health, statistics, the metrics summary, expiry, and
imports from JSON lines and CSV with the summary naming rejected and failed lines."""

import json
import os
import re
import subprocess
import unittest

from harness import Daemon, trade

CTL = os.environ.get("TRADESTORECTL", "")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def run_with_terminal_stderr(argv):
    """Runs argv with standard error on a pseudo-terminal: (exit code, what it showed there)."""
    import pty
    main, child = pty.openpty()
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=child, timeout=120)
        os.close(child)
        child = None
        shown = b""
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other end is closed and all was read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if child is not None:
            os.close(child)
        os.close(main)
    return p.returncode, shown.decode()


COMMANDS = ("health", "stats", "metrics", "expire", "import", "history", "snapshot")


class CliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon().start()
        cls.url = f"http://127.0.0.1:{cls.daemon.port}"

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop_cleanly()

    def ctl(self, *args):
        return subprocess.run([CTL, "--url", self.url, *args], capture_output=True, text=True,
                              timeout=120)

    def write(self, name, text):
        path = os.path.join(self.daemon.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_history_and_snapshots_export_what_the_api_answers(self):
        import csv
        import io
        for version, book in ((1, "CTL-B1"), (2, "CTL-B2")):
            self.assertEqual(self.daemon.client.post(
                "/api/v1/trades", trade("CTL-H1", version, book=book)).status, 201)
        self.assertEqual(self.daemon.client.post(
            "/api/v1/trades", trade("CTL-H2", 1, book="CTL-B1")).status, 201)
        r = self.ctl("history", "CTL-H1")
        self.assertEqual(r.returncode, 0, r.stderr)
        items = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([(i["action"], i["trade"]["book_id"]) for i in items],
                         [("CREATE", "CTL-B1"), ("UPDATE", "CTL-B2")])
        first = items[0]["recorded_at"]  # an instant with a '+'-free offset, sent as is
        r = self.ctl("snapshot", "--book", "CTL-B1", "--as-of", first, "--format", "csv")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = list(csv.DictReader(io.StringIO(r.stdout)))
        self.assertEqual([(row["trade_id"], row["version"]) for row in rows], [("CTL-H1", "1")])
        self.assertEqual(rows[0]["last_updated"], first)
        h2 = json.loads(self.ctl("history", "CTL-H2").stdout.splitlines()[0])
        later = h2["recorded_at"].replace("Z", "+00:00")  # '+' must reach the server
        r = self.ctl("snapshot", "--book", "CTL-B1", "--as-of", later)
        self.assertEqual([json.loads(line)["trade_id"] for line in r.stdout.splitlines()],
                         ["CTL-H2"])
        r = self.ctl("snapshot", "--as-of", "2099-01-01")
        listed = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertIn("CTL-H1", [t["trade_id"] for t in listed])
        self.assertEqual(len(listed), len({t["trade_id"] for t in listed}))
        # On a terminal (and only there) standard error counts what was exported.
        self.assertEqual(r.stderr, "")
        code, shown = run_with_terminal_stderr([CTL, "--url", self.url, "snapshot", "--as-of",
                                                 "2099-01-01"])
        self.assertEqual(code, 0)
        self.assertIn(f"exported {len(listed)} trade(s)", shown)
        r = self.ctl("snapshot", "--as-of", "soon")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP 422", r.stderr)
        self.assertEqual(self.ctl("history", "CTL-NONE").returncode, 1)

    def test_health_and_stats(self):
        r = self.ctl("health")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("status:   healthy", r.stdout)
        self.assertIn("ready:    yes", r.stdout)
        r = self.ctl("stats")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"total_trades:\s+\d+")

    def test_import_csv_reports_every_line(self):
        self.daemon.client.post("/api/v1/trades", trade("CSV-OLD", 5))
        path = self.write("trades.csv", "\n".join([
            "trade_id,version,counter_party_id,book_id,maturity_date",
            "CSV-1,1,CP-1,B1,2030-01-01",
            '"CSV-2",2,"CP, quoted",B1,2030-01-01',
            "CSV-OLD,4,CP-1,B1,2030-01-01",          # line 4: LOWER_VERSION
            "CSV-PAST,1,CP-1,B1,2020-01-01",         # line 5: MATURITY_IN_PAST
            "CSV-BAD,x,CP-1,B1,2030-01-01",          # line 6: invalid version
            "CSV-SHORT,1,CP-1",                      # line 7: wrong column count
            "",
            "CSV-3,1,CP-1,B1,2030-02-30",            # line 9: invalid date
            "CSV-1,1,CP-1,B2,2030-01-01",            # line 10: replaced
        ]) + "\n")
        r = self.ctl("import", path, "--batch-size", "3")
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn(f"imported {path}: 7 trade(s) sent in ", r.stdout)
        self.assertIn("accepted: 3 (created 2, replaced 1)", r.stdout)
        self.assertIn("rejected: 2\n  LOWER_VERSION: 1\n  MATURITY_IN_PAST: 1\n", r.stdout)
        self.assertIn("failed: 3\n", r.stdout)
        self.assertIn("  line 6: version: Input should be a valid integer", r.stdout)
        self.assertIn("  line 7: expected 5 columns, got 3", r.stdout)
        self.assertIn("  line 9: maturity_date: Input should be a valid date", r.stdout)
        self.assertEqual(r.stderr, "", "no progress bar on a pipe")
        self.assertEqual(self.daemon.client.get("/api/v1/trades/CSV-2").json()["counter_party_id"],
                         "CP, quoted")
        self.assertEqual(self.daemon.client.get("/api/v1/trades/CSV-1").json()["book_id"], "B2")

    def test_import_json_lines(self):
        lines = [json.dumps(trade("JL-1")), "{not json", json.dumps(trade("JL-2", 3)), "[1]",
                 json.dumps(trade("JL-2", 2))]
        path = self.write("trades.jsonl", "\n".join(lines) + "\n")
        r = self.ctl("import", path)
        self.assertEqual(r.returncode, 3, r.stdout + r.stderr)
        self.assertIn("accepted: 2 (created 2)", r.stdout)
        self.assertIn("rejected: 1\n  LOWER_VERSION: 1\n", r.stdout)
        self.assertIn("  line 2: malformed JSON at offset 1", r.stdout)
        self.assertIn("  line 4: not a JSON object", r.stdout)
        good = self.write("good.jsonl", json.dumps(trade("JL-3")) + "\n")
        r = self.ctl("import", good)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("accepted: 1 (created 1)\nrejected: 0\nfailed: 0\n", r.stdout)

    def audit_entries(self, trade_id):
        r = self.daemon.client.get(f"/api/v1/audit-logs?trade_id={trade_id}&limit=1000")
        self.assertEqual(r.status, 200, r)
        return len(r.json()["logs"])

    def test_a_rerun_import_decides_nothing_again(self):
        ids = [f"RERUN-{i}" for i in range(7)]
        lines = [json.dumps(trade(i)) for i in ids] + [json.dumps(trade("RERUN-0", 2))]
        path = self.write("rerun.jsonl", "\n".join(lines) + "\n")
        first = self.ctl("import", path, "--batch-size", "3")
        self.assertEqual(first.returncode, 0, first.stdout + first.stderr)
        self.assertIn("accepted: 8 (created 7, updated 1)", first.stdout)
        audited = {i: self.audit_entries(i) for i in ids}
        self.assertEqual(audited, {i: 2 if i == "RERUN-0" else 1 for i in ids})
        again = self.ctl("import", path, "--batch-size", "3")
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        # Every chunk is answered as the first time (its key's stored answer), decided never.
        self.assertIn("accepted: 8 (created 7, updated 1)", again.stdout)
        self.assertEqual({i: self.audit_entries(i) for i in ids}, audited)
        # Another batch size makes other chunks, hence other requests: decided again.
        other = self.ctl("import", path, "--batch-size", "4")
        self.assertEqual(other.returncode, 3, other.stdout + other.stderr)
        self.assertIn("accepted: 7 (replaced 7)\nrejected: 1\n  LOWER_VERSION: 1\n", other.stdout)
        self.assertEqual(self.audit_entries("RERUN-1"), 2)

    def test_metrics_summary_and_expire(self):
        self.daemon.client.post("/api/v1/trades", trade("MS-1"))
        self.daemon.client.get("/api/v1/trades/MS-1")
        r = self.ctl("expire")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"expired \d+ trade\(s\)")
        r = self.ctl("metrics")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("GET /api/v1/trades/{trade_id}", r.stdout)
        self.assertRegex(r.stdout, r"rest created: \d+")
        self.assertIn("Store: ", r.stdout)
        self.assertIn("Process: RSS ", r.stdout)

    def test_version_help_and_usage_errors(self):
        r = subprocess.run([CTL, "--version"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        version = self.daemon.client.get("/api/v1/health").json()["version"]
        self.assertEqual(r.stdout, f"tradestorectl {version}\n")
        r = subprocess.run([CTL, "--help"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        for command in COMMANDS:
            self.assertRegex(r.stdout, rf"\n  {command}\b")
        for args in ([], ["bogus"], ["--nope", "stats"], ["import"], ["stats", "extra"],
                     ["import", "x.csv", "--batch-size", "0"], ["--url", "ftp://h", "stats"],
                     ["snapshot"], ["snapshot", "--as-of", "2030-01-01", "--format", "xml"],
                     ["snapshot", "--as-of", "2030-01-01", "--format", "csv", "--json"],
                     ["--url", self.url, "--cacert", "/nonexistent", "stats"],
                     ["--token", "a", "--token-file", "/dev/null", "stats"]):
            r = subprocess.run([CTL, *args], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 2, (args, r.stderr))
            self.assertEqual(r.stdout, "", args)
            self.assertEqual(len(r.stderr.splitlines()), 1, (args, r.stderr))

    def test_csv_header_is_checked_once_before_anything_is_sent(self):
        rows = ["BAD-H1,1,CP-1,B1,2030-01-01", "BAD-H2,1,CP-1,B1,2030-01-01"] * 1500
        path = self.write("bad-header.csv",
                          "\n".join(["id,version,counter_party_id,book_id,maturity_date,desk"] +
                                    rows) + "\n")
        batches_before = self.batch_requests()
        r = self.ctl("import", path)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        self.assertIn(f"{path}: line 1: unknown column(s): id, desk; missing column(s): trade_id",
                      r.stderr)
        self.assertIn("nothing was sent", r.stderr)
        self.assertEqual(self.batch_requests(), batches_before)
        self.assertEqual(self.daemon.client.get("/api/v1/trades/BAD-H1").status, 404)

    def test_csv_with_a_byte_order_mark_imports(self):
        path = os.path.join(self.daemon.dir, "bom.csv")
        with open(path, "w", encoding="utf-8-sig", newline="\r\n") as f:  # as Excel saves it
            f.write("trade_id,version,counter_party_id,book_id,maturity_date,last_updated\n"
                    "BOM-1,1,CP-1,B1,2030-01-01,\nBOM-2,1,CP-1,B1,2030-01-01,\n")
        with open(path, "rb") as f:
            self.assertTrue(f.read().startswith(b"\xef\xbb\xbftrade_id,"))
        r = self.ctl("import", path)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("2 trade(s) sent", r.stdout)
        self.assertIn("accepted: 2 (created 2)\nrejected: 0\nfailed: 0\n", r.stdout)
        self.assertEqual(self.daemon.client.get("/api/v1/trades/BOM-2").status, 200)

    def test_every_command_prints_one_json_document(self):
        self.daemon.client.post("/api/v1/trades", trade("JS-1", book="JS-B"))
        self.daemon.client.post("/api/v1/trades", trade("JS-1", 2, book="JS-B"))
        path = self.write("json.jsonl", json.dumps(trade("JS-2")) + "\n{oops\n" +
                          json.dumps(trade("JS-1", 1)) + "\n")
        outputs = {}
        for args in (["health"], ["stats"], ["metrics"], ["expire"], ["import", path],
                     ["history", "JS-1"], ["snapshot", "--as-of", "2099-01-01"],
                     ["snapshot", "--book", "JS-B", "--as-of", "2099-01-01"]):
            r = self.ctl("--json", *args)
            self.assertIn(r.returncode, (0, 3), (args, r.stderr))
            self.assertEqual(r.stdout.count("\n"), 1, (args, r.stdout[:300]))
            outputs[args[0] + str(len(args))] = json.loads(r.stdout)
        self.assertEqual(outputs["health1"]["ready"], True)
        stats = self.daemon.client.get("/api/v1/statistics").json()  # after the import's trade
        self.assertEqual(outputs["stats1"], {**stats, "total_trades": stats["total_trades"] - 1,
                                             "active_trades": stats["active_trades"] - 1})
        self.assertIn("GET", {route["method"] for route in outputs["metrics1"]["routes"]})
        self.assertIsInstance(outputs["metrics1"]["store"]["transactions"], int)
        self.assertIn("trades_expired", outputs["expire1"])
        imported = outputs["import2"]
        self.assertEqual((imported["sent"], imported["accepted"], imported["rejected"]),
                         (2, {"total": 1, "created": 1},
                          {"total": 1, "by_reason": {"LOWER_VERSION": 1}}))
        self.assertEqual(imported["failed"]["total"], 1)
        self.assertEqual(imported["failed"]["lines"][0]["line"], 2)
        self.assertEqual([item["trade"]["version"] for item in outputs["history2"]], [1, 2])
        self.assertIn("JS-1", [t["trade_id"] for t in outputs["snapshot3"]])
        self.assertEqual([t["trade_id"] for t in outputs["snapshot5"]], ["JS-1"])
        r = self.ctl("--json", "snapshot", "--book", "JS-NONE", "--as-of", "2099-01-01")
        self.assertEqual((r.returncode, r.stdout), (0, "[]\n"), r.stderr)
        r = self.ctl("--json", "history", "JS-NONE")  # 404: an error, and no JSON at all
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertIn("HTTP 404", r.stderr)

    def test_metrics_numbers_are_readable(self):
        self.ctl("import", self.write("few.jsonl", "\n".join(
            json.dumps(trade(f"NUM-{i}")) for i in range(5)) + "\n"), "--batch-size", "2")
        r = self.ctl("metrics")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"Store: \d+ transactions, batch size p50 \d+(\.\d{1,2})?, ")
        self.assertNotRegex(r.stdout, r"\d\.\d{3,}|e\+\d")

    def test_import_progress_only_on_a_terminal(self):
        path = self.write("progress.jsonl", "\n".join(
            json.dumps(trade(f"PRG-{i}")) for i in range(6)) + "\n")
        code, shown = run_with_terminal_stderr([CTL, "--url", self.url, "import", path,
                                                "--batch-size", "2"])
        self.assertEqual(code, 0, shown)
        self.assertIn("100% 6 sent", shown)
        self.assertIn("\r", shown)
        r = self.ctl("import", path, "--batch-size", "2")
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_an_https_url_is_never_sent_as_plain_http(self):
        batches_before = self.batch_requests()
        r = self.ctl("--url", f"https://127.0.0.1:{self.daemon.port}", "import",
                     self.write("tls.jsonl", json.dumps(trade("TLS-PLAIN")) + "\n"))
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertIn("TLS with 127.0.0.1:", r.stderr)
        self.assertEqual(self.batch_requests(), batches_before)
        self.assertEqual(self.daemon.client.get("/api/v1/trades/TLS-PLAIN").status, 404)

    def batch_requests(self):
        """POST /api/v1/trades/batch requests the daemon has answered, from its own counter."""
        text = self.daemon.client.get("/metrics").body.decode()
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("tradestore_http_requests_total{")
                   and 'route="/api/v1/trades/batch"' in line)

    def test_bash_completion_offers_the_commands_and_options_of_help(self):
        script = os.path.join(ROOT, "tools", "tradestorectl", "completion.bash")
        help_text = subprocess.run([CTL, "--help"], capture_output=True, text=True).stdout
        commands_part, options_part = help_text.split("\nOptions:\n")
        commands = set(re.findall(r"^  ([a-z]+)\b", commands_part, re.M))
        options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", options_part.split("\n\n")[0]))
        self.assertTrue(set(COMMANDS) <= commands, commands)
        self.assertIn("--token-file", options)

        def complete(*words):
            run = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));'
                   ' _tradestorectl; printf "%s\\n" "${COMPREPLY[@]}"')
            r = subprocess.run(["bash", "-c", run, "bash", script, "tradestorectl", *words],
                               capture_output=True, text=True, cwd=self.daemon.dir, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return set(filter(None, r.stdout.splitlines()))

        self.assertEqual(complete(""), commands)
        self.assertEqual(complete("--url", "http://h:1", "--json", "sn"), {"snapshot"})
        global_options = options - {"--format", "--batch-size", "--book", "--as-of"}
        self.assertEqual(complete("--"), global_options)
        self.assertEqual(complete("import", "--"), global_options | {"--format", "--batch-size"})
        self.assertEqual(complete("snapshot", "--"),
                         global_options | {"--format", "--book", "--as-of"})
        self.assertEqual(complete("snapshot", "--format", ""), {"jsonl", "csv"})
        self.write("completion-token.txt", "x")
        self.assertEqual(complete("--token-file", "completion-t"), {"completion-token.txt"})
        self.assertEqual(complete("import", "completion-t"), {"completion-token.txt"})
        self.assertEqual(complete("history", ""), set())
        self.assertEqual(complete("dlq", ""), {"replay"})
        self.assertEqual(complete("dlq", "replay", "--d"), {"--dlq-topic", "--dry-run"})
        self.assertEqual(complete("replay", "--f"), {"--from"})

    def test_unreachable_daemon_is_an_error(self):
        r = subprocess.run([CTL, "--url", "http://127.0.0.1:1", "health"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("tradestorectl: http://127.0.0.1:1: ", r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)


if __name__ == "__main__":
    unittest.main()
