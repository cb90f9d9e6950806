"""A real HTTPS webhook receiver for Vestibule's webhook tests (Python's standard library only).

Listens on 127.0.0.1:--port with TLS (--cert, --key), on any path. Every POST is appended to --out,
one JSON object a line, BEFORE it is answered:

    {"path": "/hooks/a?x=1", "method": "POST", "headers": {"<lowercased name>": "<value>"},
     "body": "<the body as UTF-8 text>", "body_b64": "<the body's exact bytes>",
     "received_at": <unix time, float>}

(`body` has U+FFFD where the bytes are not UTF-8; `body_b64` is what a signature covers.) The
answer is then held back --delay seconds and carries --status with a small JSON body: a sender
that gives up while waiting has had its delivery taken without learning it, as with
smtp_server.py's --hold. Other methods get 405 and are not recorded. Prints "ready <port>" once
listening.
"""

import argparse
import base64
import http.server
import json
import ssl
import sys
import threading
import time


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # Each connection's TLS handshake runs in its own thread (see Handler.setup), not in the
    # accepting one, so a client that never finishes its handshake holds up nobody else.

    def __init__(self, port, ctx, out, delay, status):
        super().__init__(("127.0.0.1", port), Handler)
        self.socket = ctx.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.out = out
        self.lock = threading.Lock()
        self.delay = delay
        self.status = status

    def record(self, entry):
        # One write a line, under the lock: a reader sees whole lines, except perhaps a last one
        # still being written, which has no newline yet.
        line = (json.dumps(entry, ensure_ascii=True) + "\n").encode()
        with self.lock:
            self.out.write(line)
            self.out.flush()

    def handle_error(self, request, client_address):
        # A client that refuses the certificate or hangs up is part of some tests: one line, no
        # traceback.
        print(f"receiver: {client_address}: {sys.exc_info()[1]!r}", file=sys.stderr, flush=True)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vestibule-test-webhook-receiver"
    timeout = 30

    def setup(self):
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.read_body()
        headers = {}
        for name, value in self.headers.items():
            name = name.lower()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        self.server.record({
            "path": self.path,
            "method": "POST",
            "headers": headers,
            "body": body.decode("utf-8", errors="replace"),
            "body_b64": base64.b64encode(body).decode(),
            "received_at": time.time(),
        })
        if self.server.delay:
            time.sleep(self.server.delay)
        self.answer(self.server.status, {"received": True, "status": self.server.status})

    def refuse(self):
        self.answer(405, {"error": "only POST is accepted"})

    do_GET = do_PUT = do_PATCH = do_DELETE = refuse

    def log_message(self, format, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--out", required=True, help="the JSONL file deliveries are appended to")
    p.add_argument("--delay", type=float, default=0.0, help="seconds to hold back each answer")
    p.add_argument("--status", type=int, default=200, help="the status every POST is answered with")
    a = p.parse_args()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)
    with open(a.out, "ab") as out:
        server = Receiver(a.port, ctx, out, a.delay, a.status)
        print(f"ready {a.port}", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()


if __name__ == "__main__":
    sys.exit(main())
