#!/usr/bin/env python3
"""A TCP proxy in front of PostgreSQL that cuts the connection right after a COMMIT committed.

    pg_commit_cutter.py --listen 127.0.0.1:PORT --upstream 127.0.0.1:PGPORT --cut-every N
                        [--control-file PATH]

Forwards both directions. It reads the server's messages (a type byte and an int32 length
each) and, on every Nth CommandComplete whose tag is COMMIT (counted over all connections),
closes both sockets instead of forwarding that message: the transaction committed, but the
client never learns it. The messages before it are forwarded. Clients must connect with
sslmode=disable (an encrypted stream cannot be read; it is then forwarded uncut, with a
warning). PORT 0 picks a free port. Prints "listening PORT" once ready, and a line on stderr
after every cut (once both sockets are closed). When the control file
exists, the integer in it replaces --cut-every at runtime (0: never cut). Exits on SIGTERM.
Python 3 standard library only.
"""

import argparse
import os
import signal
import socket
import struct
import sys
import threading

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def address(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


class CommitCounter:
    """Counts COMMITs over every connection and says which ones to cut."""

    def __init__(self, cut_every, control_file):
        self._cut_every = cut_every
        self._control_file = control_file
        self._commits = 0
        self._lock = threading.Lock()

    def _every(self):
        if self._control_file and os.path.exists(self._control_file):
            try:
                with open(self._control_file, encoding="ascii") as control:
                    return int(control.read().strip() or "0")
            except (OSError, ValueError):
                pass  # being rewritten: keep the command-line value for this one
        return self._cut_every

    def cut_this_one(self):
        with self._lock:
            every = self._every()
            self._commits += 1
            return every > 0 and self._commits % every == 0


class Session:
    """One client connection and its upstream connection."""

    def __init__(self, client, upstream, counter):
        self.client = client
        self.server = socket.create_connection(upstream)
        self.counter = counter
        self.closed = threading.Event()
        # Set by the client side when it sent an SSL or GSSAPI request: the server answers
        # with one byte ('N': go on in plain text) that is not a message.
        self.negotiation_replies = 0
        self.encrypted = False
        self.state = threading.Lock()

    def close(self):
        self.closed.set()
        for sock in (self.client, self.server):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def client_to_server(self):
        first = True
        try:
            while not self.closed.is_set():
                data = self.client.recv(65536)
                if not data:
                    break
                if first and len(data) >= 8:
                    length, code = struct.unpack("!ii", data[:8])
                    if length == 8 and code in (SSL_REQUEST, GSSENC_REQUEST):
                        with self.state:
                            self.negotiation_replies += 1
                        first = True  # the startup message may follow
                    else:
                        first = False
                self.server.sendall(data)
        except OSError:
            pass
        self.close()

    def server_to_client(self):
        pending = b""
        try:
            while not self.closed.is_set():
                data = self.server.recv(65536)
                if not data:
                    break
                pending += data
                out, pending, cut = self.parse(pending)
                if out:
                    self.client.sendall(out)
                if cut:
                    self.close()
                    # Only once both sockets are closed: a test may stop the proxy now.
                    print("pg_commit_cutter: cut a connection after COMMIT",
                          file=sys.stderr, flush=True)
                    return
        except OSError:
            pass
        self.close()

    def parse(self, buffer):
        """Splits off whole messages: (bytes to forward, the rest, whether to cut now)."""
        out = bytearray()
        at = 0
        while True:
            if self.encrypted:
                return bytes(out) + buffer[at:], b"", False
            with self.state:
                negotiating = self.negotiation_replies > 0
                if negotiating and at < len(buffer):
                    self.negotiation_replies -= 1
            if negotiating:
                if at >= len(buffer):
                    break
                reply = buffer[at:at + 1]
                out += reply
                at += 1
                if reply in (b"S", b"G"):
                    print("pg_commit_cutter: encrypted session, forwarded uncut",
                          file=sys.stderr, flush=True)
                    self.encrypted = True
                continue
            if len(buffer) - at < 5:
                break
            kind = buffer[at:at + 1]
            (length,) = struct.unpack("!i", buffer[at + 1:at + 5])
            end = at + 1 + length
            if len(buffer) < end:
                break
            if kind == b"C" and buffer[at + 5:end].rstrip(b"\0") == b"COMMIT":
                if self.counter.cut_this_one():
                    return bytes(out), b"", True
            out += buffer[at:end]
            at = end
        return bytes(out), buffer[at:], False


def serve(listener, upstream, counter):
    while True:
        client, _ = listener.accept()
        try:
            session = Session(client, upstream, counter)
        except OSError:
            client.close()
            continue
        for side in (session.client_to_server, session.server_to_client):
            threading.Thread(target=side, daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, type=address)
    parser.add_argument("--upstream", required=True, type=address)
    parser.add_argument("--cut-every", required=True, type=int)
    parser.add_argument("--control-file")
    args = parser.parse_args()

    # SIGTERM keeps its default action: a Python handler runs only once the main thread,
    # blocked in accept(), gets the signal, and the kernel may hand it to a session thread.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    listener = socket.create_server(args.listen)
    print(f"listening {listener.getsockname()[1]}", flush=True)
    serve(listener, args.upstream, CommitCounter(args.cut_every, args.control_file))


if __name__ == "__main__":
    main()
