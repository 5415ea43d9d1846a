"""GET /docs in a real browser: Debian's headless chromium driven by playwright-core (from
npm, pinned in tests/browser/package-lock.json, never downloading a browser) tries
POST /api/v1/trades through Swagger UI and sees 201, then 400 for a lower version."""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from harness import Daemon  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HERE = os.path.dirname(os.path.abspath(__file__))


class BrowserDocsTest(unittest.TestCase):
    def missing(self, what):
        message = f"{what} (scripts/install-deps.sh test and the npm_assets fixture install it)"
        if IN_CI:
            self.fail(message)
        self.skipTest(message)

    def test_try_it_out_in_chromium(self):
        assets = os.environ.get("TRADESTORE_SWAGGER_UI_DIR", "")
        playwright = os.environ.get("PLAYWRIGHT_CORE_DIR", "")
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        node = shutil.which("node")
        if not os.path.isfile(os.path.join(assets, "swagger-ui-bundle.js")):
            self.missing("swagger-ui-dist is not installed")
        if not os.path.isfile(os.path.join(playwright, "package.json")):
            self.missing("playwright-core is not installed")
        if node is None or not os.path.exists(chromium):
            self.missing("node or Debian's chromium is not installed")
        shots = os.environ.get("TRADESTORE_SCREENSHOT_DIR", os.path.join(HERE, "screenshots"))
        os.makedirs(shots, exist_ok=True)
        daemon = Daemon(rest_settings=f"docs_dir = {assets}\n").start()
        try:
            result = subprocess.run(
                [node, os.path.join(HERE, "browser_docs.cjs"), f"http://127.0.0.1:{daemon.port}", shots],
                env=dict(os.environ, CHROMIUM=chromium), capture_output=True, text=True, timeout=180)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            print(result.stdout.strip())
            for name in ("docs-post-trade-201.png", "docs-post-trade-400.png"):
                self.assertGreater(os.path.getsize(os.path.join(shots, name)), 10_000)
            audit = daemon.client.get("/api/v1/audit-logs?trade_id=BROWSER-1").json()
            self.assertEqual({e["action"] for e in audit["logs"]}, {"CREATE", "VALIDATION_FAILED"})
        finally:
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()


if __name__ == "__main__":
    unittest.main()
