"""The daemon's command line, startup failures, restarts, expiry and graceful shutdown."""

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import unittest

import harness
from harness import PLUGIN_DIR, Daemon, run_tradestored, trade


class CommandLineTest(unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon()

    def tearDown(self):
        self.daemon.stop()
        self.daemon.cleanup()

    def test_check_config_accepts_a_valid_file_and_binds_nothing(self):
        with socket.socket() as holder:  # the port stays busy: --check-config must not care
            holder.bind(("127.0.0.1", self.daemon.port))
            holder.listen()
            r = run_tradestored("--config", self.daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("OK", r.stdout)

    def test_check_config_works_while_the_service_runs(self):
        self.daemon.start()
        r = run_tradestored("--config", self.daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.daemon.client.get("/api/v1/health").status, 200)

    def test_bad_config_is_one_line_naming_file_line_key_and_problem(self):
        with open(self.daemon.config_path, "a") as f:
            f.write("[plugin.expiry-scheduler]\nintervall = 5m\n")
        lines = sum(1 for _ in open(self.daemon.config_path))
        r = run_tradestored("--config", self.daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(),
                         f"{self.daemon.config_path}:{lines}: [plugin.expiry-scheduler] intervall: "
                         "unknown setting (did you mean 'interval'?)")
        # The real start fails the same way, before anything binds.
        r = run_tradestored("--config", self.daemon.config_path)
        self.assertEqual(r.returncode, 1)
        self.assertIn("intervall", r.stderr)

    def test_unset_environment_variable_is_named(self):
        with open(self.daemon.config_path, "a") as f:
            f.write("[plugin.trade-rules]\ncheck_version = ${TRADESTORE_TEST_UNSET_VARIABLE}\n")
        r = run_tradestored("--config", self.daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn("environment variable TRADESTORE_TEST_UNSET_VARIABLE is not set", r.stderr)

    def test_port_in_use_fails_the_start_with_one_line(self):
        with socket.socket() as holder:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 0)
            holder.bind(("127.0.0.1", self.daemon.port))
            holder.listen()
            r = run_tradestored("--config", self.daemon.config_path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"cannot listen on 127.0.0.1:{self.daemon.port}", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)

    def test_list_plugins_describes_every_plugin_and_its_settings(self):
        r = run_tradestored("--list-plugins", "--plugin-dir", PLUGIN_DIR)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for expected in ("trade-rules", "sqlite-store", "rest-source", "expiry-scheduler",
                         "check_maturity", "max_body_bytes", "interval (duration, default 1h)"):
            self.assertIn(expected, r.stdout)

    def test_help(self):
        r = run_tradestored("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("--check-config", r.stdout)
        self.assertIn("--version", r.stdout)

    def test_version_prints_one_line_and_exits_0(self):
        for option in ("--version", "-V"):
            r = run_tradestored(option)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"^tradestored \d+\.\d+\.\d+\n$")
            self.assertEqual(r.stderr, "")

    def test_list_plugins_shows_the_values_a_setting_allows(self):
        r = run_tradestored("--list-plugins", "--plugin-dir", PLUGIN_DIR)
        self.assertIn("synchronous (string, default full, one of full or normal)", r.stdout)


class PluginFoldersTest(unittest.TestCase):
    """plugin_dirs: the packaged folder and a second one for third-party plugins."""

    def setUp(self):
        self.daemon = Daemon()
        self.packaged = os.path.join(self.daemon.dir, "packaged")
        self.local = os.path.join(self.daemon.dir, "local")
        for folder, names in ((self.packaged, self.daemon.plugins[1:]),
                              (self.local, self.daemon.plugins[:1])):
            os.mkdir(folder)
            for name in names:
                shutil.copy(os.path.join(PLUGIN_DIR, name + ".so"), folder)
        with open(self.daemon.config_path) as f:
            text = f.read()
        with open(self.daemon.config_path, "w") as f:
            f.write(text.replace(f"plugin_dir = {PLUGIN_DIR}\n",
                                 f"plugin_dirs = {self.packaged}, {self.local}\n"))

    def tearDown(self):
        self.daemon.stop()
        self.daemon.cleanup()

    def test_list_plugins_says_where_each_came_from(self):
        r = run_tradestored("--config", self.daemon.config_path, "--list-plugins")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rules = self.daemon.plugins[0]
        self.assertIn(f"{rules} 1.0.0 (rule)\n  from {self.local}/{rules}.so\n", r.stdout)
        self.assertIn(f"  from {self.packaged}/rest-source.so\n", r.stdout)

    def test_the_daemon_loads_from_both_and_logs_where_from(self):
        self.daemon.start()
        self.assertEqual(self.daemon.client.post("/api/v1/trades", trade()).status, 201)
        self.assertIn(f"loaded plugin {self.daemon.plugins[0]} 1.0.0 from {self.local}/",
                      self.daemon.read_log())

    def test_a_name_in_both_folders_is_refused_and_listed_as_not_loadable(self):
        rules = self.daemon.plugins[0]
        shutil.copy(os.path.join(PLUGIN_DIR, rules + ".so"), self.packaged)
        r = run_tradestored("--config", self.daemon.config_path, "--check-config")
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"[kernel] plugins: plugin '{rules}' is in more than one plugin folder: "
                      f"{self.packaged}/{rules}.so and {self.local}/{rules}.so", r.stderr)
        r = run_tradestored("--config", self.daemon.config_path, "--list-plugins")
        self.assertEqual(r.returncode, 1)
        self.assertIn("NOT LOADABLE: also in another plugin folder", r.stdout)


@unittest.skipIf(harness.STORE != "sqlite", "sqlite-store settings")
class PluginChecksTest(unittest.TestCase):
    """A plugin's own checks run in --check-config, at start and on SIGHUP: the same line."""

    def setUp(self):
        self.daemon = Daemon()

    def tearDown(self):
        self.daemon.stop()
        self.daemon.cleanup()

    def set_store_line(self, old, new):
        with open(self.daemon.config_path) as f:
            text = f.read()
        self.assertIn(old, text)
        with open(self.daemon.config_path, "w") as f:
            f.write(text.replace(old, new))
        return next(i for i, line in enumerate(text.splitlines(), 1) if line == old)

    def assert_refused_everywhere(self, expected):
        r = run_tradestored("--config", self.daemon.config_path, "--check-config")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", expected + "\n"))
        r = run_tradestored("--config", self.daemon.config_path)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, expected + "\n", "the start must fail before logging starts")

    def test_a_value_outside_its_choices(self):
        line = self.set_store_line("synchronous = normal", "synchronous = fast")
        self.assert_refused_everywhere(
            f"{self.daemon.config_path}:{line}: [plugin.sqlite-store] synchronous: "
            "expected full or normal, got 'fast'")

    def test_a_database_path_that_cannot_be_written(self):
        blocker = os.path.join(self.daemon.dir, "not-a-folder")
        open(blocker, "w").close()
        path = os.path.join(blocker, "trades.db")
        line = self.set_store_line(f"path = {self.daemon.data_dir}/trades.db", f"path = {path}")
        self.assert_refused_everywhere(
            f"{self.daemon.config_path}:{line}: [plugin.sqlite-store] path: cannot create "
            f"{path}: {blocker} is not a folder")

    def test_sighup_refuses_what_the_start_would_refuse(self):
        self.daemon.start()
        line = self.set_store_line("synchronous = normal", "synchronous = fast")
        self.daemon.process.send_signal(signal.SIGHUP)
        self.daemon.wait_for_log("SIGHUP: config refused")
        self.assertIn("SIGHUP: config refused, the running one stays: "
                      f"{self.daemon.config_path}:{line}: [plugin.sqlite-store] synchronous: "
                      "expected full or normal, got 'fast'", self.daemon.read_log())
        self.assertEqual(self.daemon.client.post("/api/v1/trades", trade()).status, 201)
        self.assertIsNone(self.daemon.process.poll())


class RestartTest(unittest.TestCase):
    def setUp(self):
        self.dir_owner = Daemon()
        self.data_dir = self.dir_owner.dir

    def tearDown(self):
        self.dir_owner.cleanup()

    def daemon(self, **kw):
        d = Daemon(data_dir=self.data_dir, **kw)
        self.addCleanup(d.cleanup)
        return d

    def test_trades_survive_a_restart(self):
        d = self.daemon().start()
        self.assertEqual(d.client.post("/api/v1/trades", trade("KEEP-1", 2)).status, 201)
        self.assertEqual(d.stop(), 0)
        d = self.daemon().start()
        self.assertEqual(d.client.get("/api/v1/trades/KEEP-1").json()["version"], 2)
        self.assertEqual(d.client.post("/api/v1/trades", trade("KEEP-1", 1)).status, 400)
        d.stop()

    def test_expiry_runs_at_start_and_marks_matured_trades(self):
        d = self.daemon().start()
        d.client.post("/api/v1/trades", trade("EXP-1", maturity="2026-11-24"))
        d.client.post("/api/v1/trades", trade("EXP-2", maturity="2026-11-25"))
        d.stop()
        # The next business day: EXP-1 has matured.
        d = self.daemon(business_date="2026-11-25").start()
        self.assertIs(d.client.get("/api/v1/trades/EXP-1").json()["expired"], True)
        self.assertIs(d.client.get("/api/v1/trades/EXP-2").json()["expired"], False)
        stats = d.client.get("/api/v1/statistics").json()
        self.assertEqual((stats["total_trades"], stats["expired_trades"], stats["active_trades"]), (2, 1, 1))
        # The start-up expiry run goes on beside the sources starting: wait for its commit.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "marked 1 trade(s) expired" not in d.read_log():
            time.sleep(0.05)
        actions = [e["action"] for e in d.client.get("/api/v1/audit-logs?trade_id=EXP-1").json()["logs"]]
        self.assertEqual(actions, ["CREATE", "EXPIRE"])
        self.assertEqual(d.client.post("/api/v1/expire-trades").json()["trades_expired"], 0)
        d.stop()
        self.assertIn("marked 1 trade(s) expired", d.read_log())

    def age_history(self, days):
        """Every version recorded `days` earlier, as if written then (straight in the store)."""
        if harness.STORE == "postgres":
            subprocess.run(["psql", harness.postgres_database_uri(self.data_dir), "-qc",
                            f"UPDATE audit_log SET recorded_at = recorded_at - interval "
                            f"'{days} days' WHERE recorded_at IS NOT NULL"], check=True,
                           capture_output=True)
            return
        with sqlite3.connect(os.path.join(self.data_dir, "trades.db")) as db:
            db.execute("UPDATE audit_log SET recorded_at = recorded_at - ? "
                       "WHERE recorded_at IS NOT NULL", (days * 86_400_000_000,))

    def test_history_retention_keeps_each_trades_last_version_before_the_window(self):
        d = self.daemon().start()
        for version in (1, 2, 3):
            self.assertEqual(d.client.post("/api/v1/trades", trade("RET-1", version)).status, 201)
        self.assertEqual(d.client.post("/api/v1/trades", trade("RET-2", 1)).status, 201)
        self.assertEqual(d.stop(), 0)
        self.age_history(10)
        d = self.daemon(extra_kernel="history_retention_days = 5").start()
        self.assertEqual(d.client.post("/api/v1/trades", trade("RET-1", 4)).status, 201)
        # The job runs at start, beside the sources: wait for its log line.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "pruned 2 version(s)" not in d.read_log():
            time.sleep(0.05)
        self.assertIn("job history-retention scheduled", d.read_log())
        self.assertIn("pruned 2 version(s) older than 5 day(s)", d.read_log())
        items = d.client.get("/api/v1/trades/RET-1/history").json()["items"]
        self.assertEqual([(i["version"], i["action"]) for i in items], [(3, "UPDATE"), (4, "UPDATE")])
        self.assertEqual(len(d.client.get("/api/v1/trades/RET-2/history").json()["items"]), 1)
        self.assertEqual(d.client.get("/api/v1/trades/RET-1").json()["version"], 4)
        d.stop()

    def test_a_matured_trade_never_reads_as_active_before_the_job_runs(self):
        d = self.daemon().start()
        d.client.post("/api/v1/trades", trade("EXP-3", maturity="2026-11-24"))
        d.stop()
        d = self.daemon(business_date="2026-11-25",
                        sections="[plugin.expiry-scheduler]\nrun_at_start = false\n").start()
        self.assertIs(d.client.get("/api/v1/trades/EXP-3").json()["expired"], True)
        self.assertEqual(d.client.get("/api/v1/statistics").json()["active_trades"], 0)
        d.stop()


class GracefulShutdownTest(unittest.TestCase):
    def test_sigterm_during_a_stream_of_posts_loses_no_accepted_trade(self):
        owner = Daemon()
        self.addCleanup(owner.cleanup)
        d = Daemon(data_dir=owner.dir).start()
        self.addCleanup(d.cleanup)
        accepted = []
        lock = threading.Lock()
        stop = threading.Event()

        def stream(worker):
            from harness import Client
            client = Client(d.port)
            i = 0
            while not stop.is_set() and i < 5000:
                try:
                    r = client.post("/api/v1/trades", trade(f"SIG-{worker}-{i}"))
                except OSError:
                    break
                if r.status == 201:
                    with lock:
                        accepted.append(f"SIG-{worker}-{i}")
                i += 1
            client.close()

        threads = [threading.Thread(target=stream, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with lock:
                if len(accepted) >= 200:
                    break
            time.sleep(0.01)
        code = d.stop()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(code, 0, d.read_log())
        self.assertGreaterEqual(len(accepted), 200)

        d2 = Daemon(data_dir=owner.dir).start()
        self.addCleanup(d2.cleanup)
        total = d2.client.get("/api/v1/statistics").json()["total_trades"]
        self.assertGreaterEqual(total, len(accepted))
        missing = [t for t in accepted if d2.client.get(f"/api/v1/trades/{t}").status != 200]
        self.assertEqual(missing, [])
        d2.stop()


if __name__ == "__main__":
    unittest.main()
