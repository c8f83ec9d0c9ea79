"""A status-callback receiver on loopback, standing in for a service's callback URL."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: What a receiver answers when it accepts a push (Tencent's documented reply).
ACCEPT = (200, {"result": 0, "errmsg": "OK"})


class Receiver:
    """Records each pushed body and answers from a script of ``(status, JSON)`` answers;
    the last answer repeats.  ``url`` is where to push; ``close()`` stops it."""

    def __init__(self, answers: list[tuple[int, object]]) -> None:
        self.answers = answers
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.bodies.append(body)
                    index = min(len(receiver.bodies), len(receiver.answers)) - 1
                    status, reply = receiver.answers[index]
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/tencent/status-callback"

    @property
    def pushes(self) -> list[Any]:
        """The pushed bodies, decoded."""
        with self.lock:
            return [json.loads(body) for body in self.bodies]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
