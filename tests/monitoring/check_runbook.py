"""Every alert of etc/monitoring/tradestore-alerts.yml carries a severity, a summary, a
description and a runbook_url naming a heading of docs/monitoring.md that is its own name; and
each has a promtool test case where it fires and one where it stays silent. Standard library
only: the rules file is read line by line (its layout is the one promtool accepts)."""

import os
import re
import sys
import unittest

ROOT = os.environ.get("TRADESTORE_SOURCE_DIR",
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MONITORING = os.path.join(ROOT, "etc", "monitoring")
DOC = os.path.join(ROOT, "docs", "monitoring.md")


def alerts(text):
    """{alert name: its text up to the next rule}."""
    parts = re.split(r"^\s*- alert: ", text, flags=re.M)[1:]
    return {part.split("\n", 1)[0].strip(): part for part in parts}


def anchors(markdown):
    """GitHub-style anchors of the headings (outside code blocks)."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    return {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
            for h in re.findall(r"^#+ (.*)$", prose, re.M)}


class RunbookTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(MONITORING, "tradestore-alerts.yml")) as f:
            self.alerts = alerts(f.read())
        with open(DOC) as f:
            self.anchors = anchors(f.read())
        tests_dir = os.path.join(MONITORING, "tests")
        self.tests = ""
        for name in sorted(os.listdir(tests_dir)):
            with open(os.path.join(tests_dir, name)) as f:
                self.tests += f.read()

    def test_each_alert_is_annotated_and_has_its_runbook_section(self):
        self.assertGreater(len(self.alerts), 15)
        for name, body in self.alerts.items():
            with self.subTest(alert=name):
                self.assertRegex(body, r"\n\s+severity: (critical|warning)\n")
                self.assertRegex(body, r"\n\s+summary: ")
                self.assertRegex(body, r"\n\s+description: ")
                link = re.search(r'runbook_url: "docs/monitoring\.md#([a-z0-9-]+)"', body)
                self.assertIsNotNone(link, "no runbook_url into docs/monitoring.md")
                self.assertEqual(link.group(1), name.lower())
                self.assertIn(link.group(1), self.anchors, "no such heading in docs/monitoring.md")

    def test_each_alert_has_a_firing_and_a_silent_case(self):
        cases = re.findall(r"- alertname: (\w+)\n\s+eval_time: \w+\n\s+exp_alerts:( \[\])?",
                           self.tests)
        firing = {name for name, empty in cases if not empty}
        silent = {name for name, empty in cases if empty}
        self.assertEqual(sorted(set(self.alerts) - firing), [], "alerts never shown firing")
        self.assertEqual(sorted(set(self.alerts) - silent), [], "alerts never shown silent")


if __name__ == "__main__":
    sys.exit(unittest.main())
