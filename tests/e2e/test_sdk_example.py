"""The out-of-tree book-allowlist example, built against the installed SDK by the
sdk_build_example fixture, loaded into the real daemon beside the default plugins."""

import os
import tempfile
import unittest

import harness
from harness import Daemon, trade

EXAMPLE = os.environ.get("TRADESTORE_SDK_EXAMPLE", "")


class SdkExampleInTheDaemonTest(unittest.TestCase):
    def test_custom_rule_rejects_books_outside_the_allow_list(self):
        self.assertTrue(os.path.isfile(EXAMPLE), f"example plugin not built: {EXAMPLE}")
        plugin_dir = tempfile.mkdtemp(prefix="tradestore-plugins-")
        for name in ("trade-rules", "sqlite-store", "rest-source", "expiry-scheduler"):
            os.symlink(os.path.join(harness.PLUGIN_DIR, name + ".so"), os.path.join(plugin_dir, name + ".so"))
        os.symlink(EXAMPLE, os.path.join(plugin_dir, "book-allowlist.so"))
        saved, harness.PLUGIN_DIR = harness.PLUGIN_DIR, plugin_dir
        try:
            d = Daemon(plugins=["trade-rules", "book-allowlist", "sqlite-store", "rest-source"],
                       sections="[plugin.book-allowlist]\nbooks = B1, B2\n")
        finally:
            harness.PLUGIN_DIR = saved
        self.addCleanup(d.cleanup)
        d.start()
        self.assertEqual(d.client.post("/api/v1/trades", trade("SDK-1", book="B1")).status, 201)
        r = d.client.post("/api/v1/trades", trade("SDK-2", book="B9"))
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.json()["reasons"], ["BOOK_NOT_ALLOWED"])
        self.assertEqual(r.json()["detail"], "Trade SDK-2: book B9 is not in the allow-list")
        # Rule order is config order: the trade rules' reasons come first.
        r = d.client.post("/api/v1/trades", trade("SDK-3", book="B9", maturity="2020-01-01"))
        self.assertEqual(r.json()["reasons"], ["MATURITY_IN_PAST", "BOOK_NOT_ALLOWED"])
        self.assertEqual(d.stop(), 0)
        self.assertIn("loaded plugin book-allowlist", d.read_log())


if __name__ == "__main__":
    unittest.main()
