"""tradestorectl against the real daemon: health, statistics, the metrics summary, expiry, and
imports from JSON lines and CSV with the summary naming rejected and failed lines."""

import json
import os
import subprocess
import unittest

from harness import Daemon, trade

CTL = os.environ.get("TRADESTORECTL", "")


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
        import pty
        main, child = pty.openpty()
        try:
            p = subprocess.run([CTL, "--url", self.url, "snapshot", "--as-of", "2099-01-01"],
                               stdout=subprocess.PIPE, stderr=child, timeout=120)
            os.close(child)
            child = None
            shown = os.read(main, 4096).decode()
        finally:
            if child is not None:
                os.close(child)
            os.close(main)
        self.assertEqual(p.returncode, 0)
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
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn("accepted: 3 (created 2, replaced 1)", r.stdout)
        self.assertIn("rejected: 2\n  LOWER_VERSION: 1\n  MATURITY_IN_PAST: 1\n", r.stdout)
        self.assertIn("failed: 3\n", r.stdout)
        self.assertIn("  line 6: version: Input should be a valid integer", r.stdout)
        self.assertIn("  line 7: expected 5 columns, got 3", r.stdout)
        self.assertIn("  line 9: maturity_date: Input should be a valid date", r.stdout)
        self.assertIn("100%", r.stderr, "a progress bar")
        self.assertEqual(self.daemon.client.get("/api/v1/trades/CSV-2").json()["counter_party_id"],
                         "CP, quoted")
        self.assertEqual(self.daemon.client.get("/api/v1/trades/CSV-1").json()["book_id"], "B2")

    def test_import_json_lines(self):
        lines = [json.dumps(trade("JL-1")), "{not json", json.dumps(trade("JL-2", 3)), "[1]",
                 json.dumps(trade("JL-2", 2))]
        path = self.write("trades.jsonl", "\n".join(lines) + "\n")
        r = self.ctl("import", path)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
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
        self.assertEqual(other.returncode, 2, other.stdout + other.stderr)
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

    def test_unreachable_daemon_is_an_error(self):
        r = subprocess.run([CTL, "--url", "http://127.0.0.1:1", "health"], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn("tradestorectl:", r.stderr)


if __name__ == "__main__":
    unittest.main()
