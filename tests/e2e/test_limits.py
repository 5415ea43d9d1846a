"""Transport limits of the REST source: slow or hostile clients cannot tie it up, and beyond
every limit the answer is a precise status or a closed connection, never a queue that grows."""

import json
import os
import resource
import socket
import struct
import threading
import time
import unittest

from harness import Daemon, trade

# 500 slow connections, their client side and the daemon's: more descriptors than the usual
# soft limit of 1024 leaves room for; the daemon inherits this limit.
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
_wanted = 4096 if _hard == resource.RLIM_INFINITY else min(_hard, 4096)
if _soft != resource.RLIM_INFINITY and _soft < _wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (_wanted, _hard))


def connect(port, timeout=10):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


_pending = {}  # bytes read past an answer, per socket (pipelined answers)


def read_answer(sock):
    """Reads one answer (status line, headers, Content-Length body); returns (status, headers,
    body), or None if the connection closed before a status line arrived."""
    return _read(sock, with_body=True)


def read_head_answer(sock):
    """The same for a HEAD answer: its Content-Length announces a body that is not sent."""
    return _read(sock, with_body=False)


def _read(sock, with_body):
    data = _pending.pop(sock, b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None if not data else (0, {}, data)
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0")) if with_body else 0
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    if rest[length:]:
        _pending[sock] = rest[length:]
    return status, headers, rest[:length]


def closed_by_server(sock, within):
    """True when the server closes the connection within `within` seconds."""
    sock.settimeout(within)
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return True
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


class LimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.daemon = Daemon(rest_settings=(
            "max_header_bytes = 2048\nmax_body_bytes = 4096\nkeep_alive_timeout = 1s\n"
            "request_read_timeout = 1500ms\n")).start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop_cleanly()

    def exchange(self, raw):
        with connect(self.daemon.port) as s:
            s.sendall(raw)
            return read_answer(s)

    def test_header_over_max_header_bytes_is_431(self):
        answer = self.exchange(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Filler: "
                               + b"a" * 3000 + b"\r\n\r\n")
        self.assertEqual(answer[0], 431, answer)
        self.assertEqual(json.loads(answer[2])["detail"], "Request header exceeds 2048 bytes")
        # Positive control: the same request with a header under the limit is served.
        answer = self.exchange(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-Filler: "
                               + b"a" * 1500 + b"\r\n\r\n")
        self.assertEqual(answer[0], 200, answer)

    def test_body_over_max_body_bytes_is_413_before_it_is_sent(self):
        with connect(self.daemon.port) as s:
            s.sendall(b"POST /api/v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      b"\r\nContent-Length: 5000\r\n\r\n")
            answer = read_answer(s)  # the body never comes: the length alone is refused
            self.assertEqual(answer[0], 413, answer)
            self.assertEqual(answer[1].get("connection"), "close")
            self.assertTrue(closed_by_server(s, 5))

    def test_expect_100_continue_then_the_body(self):
        body = json.dumps(trade("CONT-1")).encode()
        with connect(self.daemon.port) as s:
            s.sendall(b"POST /api/v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      b"\r\nExpect: 100-continue\r\nContent-Length: " + str(len(body)).encode()
                      + b"\r\n\r\n")
            self.assertEqual(s.recv(25), b"HTTP/1.1 100 Continue\r\n\r\n")
            s.sendall(body)
            self.assertEqual(read_answer(s)[0], 201)

    def test_pipelined_requests_are_answered_in_order(self):
        with connect(self.daemon.port) as s:
            s.sendall(b"GET /api/v1/trades/NOPE-1 HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_answer(s)[0], 404)
            self.assertEqual(read_answer(s)[0], 200)

    def test_http_1_0_closes_unless_asked_to_keep_alive(self):
        with connect(self.daemon.port) as s:
            s.sendall(b"GET /api/v1/health/live HTTP/1.0\r\n\r\n")
            status, headers, _ = read_answer(s)
            self.assertEqual(status, 200)
            self.assertTrue(closed_by_server(s, 5))
        with connect(self.daemon.port) as s:
            s.sendall(b"GET /api/v1/health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            status, headers, _ = read_answer(s)
            self.assertEqual(headers.get("connection", "").lower(), "keep-alive")
            s.sendall(b"HEAD /api/v1/health/live HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            status, headers, body = read_head_answer(s)
            self.assertEqual(status, 200)
            self.assertGreater(int(headers["content-length"]), 0)
            s.settimeout(0.3)
            with self.assertRaises(socket.timeout, msg="HEAD has no body"):
                s.recv(1)

    def test_idle_keep_alive_connection_closes_after_keep_alive_timeout(self):
        with connect(self.daemon.port) as s:
            s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(read_answer(s)[0], 200)
            self.assertFalse(closed_by_server(s, 0.3), "kept alive at first")
            self.assertTrue(closed_by_server(s, 5))

    def test_request_that_never_completes_gets_408_and_is_closed(self):
        with connect(self.daemon.port) as s:
            s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n")
            started = time.monotonic()
            answer = read_answer(s)
            self.assertEqual(answer[0], 408, answer)
            self.assertLess(time.monotonic() - started, 10)
            self.assertTrue(closed_by_server(s, 5))

    def test_a_cr_alone_or_a_nul_in_the_header_is_400(self):
        # A line ending in a CR alone (here before a Content-Length) or a NUL in a value.
        for raw in (b"POST /api/v1/trades HTTP/1.1\r\nHost: x\r\n\rContent-Length: 5\r\n\r\nhello",
                    b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
                    b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n"):
            self.assertEqual(self.exchange(raw)[0], 400, raw)
        self.assertEqual(self.exchange(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\n"
                                       b"Connection: close\r\n\r\n")[0], 200, "control")

    def test_chunked_body_is_decoded(self):
        body = json.dumps(trade("CHUNK-1")).encode()
        with connect(self.daemon.port) as s:
            s.sendall(b"POST /api/v1/trades HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                      b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                      + b"%x\r\n" % 10 + body[:10] + b"\r\n"
                      + b"%x\r\n" % (len(body) - 10) + body[10:] + b"\r\n0\r\n\r\n")
            self.assertEqual(read_answer(s)[0], 201)


def open_connections(daemon):
    for line in daemon.client.get("/metrics").body.decode().splitlines():
        if line.startswith("tradestore_http_open_connections "):
            return float(line.split()[1])
    raise AssertionError("no tradestore_http_open_connections in /metrics")


class SlowReaderTest(unittest.TestCase):
    def test_a_client_that_does_not_read_its_answers_is_dropped(self):
        daemon = Daemon(rest_settings="request_timeout = 1s\n").start()
        s = connect(daemon.port)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            # Far more answers than the socket buffers hold, and none of them read.
            s.sendall(b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n" * 400)
            time.sleep(0.5)
            with_reader = open_connections(daemon)  # the scraper's connection and ours
            time.sleep(3)  # request_timeout (1s) with nothing read, and a margin
            self.assertEqual(open_connections(daemon), with_reader - 1)
        finally:
            # Reset instead of reading megabytes through a 4 KiB window.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()


class SlowClientsTest(unittest.TestCase):
    SLOW = 500

    def test_500_slowloris_connections_do_not_starve_normal_requests(self):
        # Fewer workers than slow clients by far, and a read timeout longer than the test, so
        # that only the reactor design (not a timeout) keeps the server responsive.
        daemon = Daemon(rest_settings="threads = 4\nrequest_read_timeout = 120s\n"
                                      "max_connections = 2000\n").start()
        slow = []
        try:
            for _ in range(self.SLOW):
                s = connect(daemon.port)
                s.sendall(b"POST /api/v1/trades HTTP/1.1\r\nHost: x\r\n")
                slow.append(s)
            stop = threading.Event()

            def trickle():  # one more header byte on every slow connection now and then
                while not stop.wait(1.0):
                    for s in slow:
                        s.sendall(b"X")

            trickler = threading.Thread(target=trickle, daemon=True)
            trickler.start()
            try:
                for i in range(20):
                    with connect(daemon.port, timeout=10) as s:
                        s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n"
                                  b"Connection: close\r\n\r\n")
                        answer = read_answer(s)
                        self.assertIsNotNone(answer, f"request {i}: connection closed")
                        self.assertEqual(answer[0], 200, f"request {i}")
                    r = daemon.client.post("/api/v1/trades", trade(f"SLOW-{i}"))
                    self.assertEqual(r.status, 201, r)
                    time.sleep(0.1)
            finally:
                stop.set()
                trickler.join()
            # The slow connections were really held open all along.
            still_open = sum(1 for s in slow if not closed_by_server(s, 0.001))
            self.assertEqual(still_open, self.SLOW)
            started = time.monotonic()
            self.assertEqual(daemon.stop(), 0)
            self.assertLess(time.monotonic() - started, 20, "stop does not wait for slow clients")
        finally:
            for s in slow:
                s.close()
            daemon.cleanup()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class OutOfDescriptorsTest(unittest.TestCase):
    def test_running_out_of_descriptors_pauses_accepting_and_recovers(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))  # the daemon inherits it
        try:
            daemon = Daemon().start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        held = []
        try:
            self.assertIn("max_connections is 1024 but the open files limit is 64", daemon.read_log())
            for _ in range(100):  # more than the daemon has descriptors for
                held.append(connect(daemon.port))
            time.sleep(0.2)
            cpu_before = cpu_seconds(daemon.process.pid)
            time.sleep(1)
            # A listener that stays readable while accept() fails must not spin the reactor.
            self.assertLess(cpu_seconds(daemon.process.pid) - cpu_before, 0.2)
            for s in held:
                s.close()
            held.clear()
            deadline = time.monotonic() + 10
            while True:  # served again once descriptors are free
                try:
                    with connect(daemon.port) as s:
                        s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                        answer = read_answer(s)
                except OSError:
                    answer = None
                if answer and answer[0] == 200:
                    break
                self.assertLess(time.monotonic(), deadline, f"not served again: {answer}")
                time.sleep(0.1)
            self.assertEqual(daemon.read_log().count("cannot accept connections: Too many open files"), 1)
        finally:
            for s in held:
                s.close()
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()


class MaxConnectionsTest(unittest.TestCase):
    def test_beyond_max_connections_a_fast_503_or_close(self):
        daemon = Daemon(rest_settings="max_connections = 16\n").start()
        held = []
        try:
            for _ in range(16):
                s = connect(daemon.port)
                s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertEqual(read_answer(s)[0], 200)
                held.append(s)
            started = time.monotonic()
            with connect(daemon.port) as extra:
                try:
                    extra.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                    answer = read_answer(extra)
                except (ConnectionResetError, BrokenPipeError):
                    answer = None
                if answer is not None:
                    self.assertEqual(answer[0], 503, answer)
                    self.assertEqual(answer[1].get("retry-after"), "1")
            self.assertLess(time.monotonic() - started, 5, "refused at once, not queued")
            # Positive control: with one connection given back, a new one is served.
            held.pop().close()
            deadline = time.monotonic() + 5
            while True:
                with connect(daemon.port) as s:
                    s.sendall(b"GET /api/v1/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
                    try:
                        answer = read_answer(s)
                    except ConnectionResetError:
                        answer = None
                if answer and answer[0] == 200:
                    break
                self.assertLess(time.monotonic(), deadline, f"never served again: {answer}")
                time.sleep(0.05)
        finally:
            for s in held:
                s.close()
            self.assertEqual(daemon.stop(), 0)
            daemon.cleanup()


if __name__ == "__main__":
    unittest.main()
