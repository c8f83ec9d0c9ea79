"""A small web service that sends sign-in codes through a ConnectorHost.

    POST /codes         {"phone": "8613800138000", "type": "SignIn"}  → 202, a code is texted
    POST /codes/verify  {"phone": "8613800138000", "code": "123456"}  → 200 or 400

Run it with no arguments to see it work end to end against the local emulator:

    .venv/bin/python examples/host_app.py

or serve it for real with a saved config:

    .venv/bin/python examples/host_app.py --serve --config config.json --port 8000
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from connector.kit import ConnectorError, ConnectorHost

CONNECTOR = "tencent-short-message-service"
CODE_LIFETIME = 300.0
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class CodeService:
    """Issues one-time codes, texts them through the host, and checks them."""

    def __init__(self, host: ConnectorHost, config: dict[str, Any]) -> None:
        self.host = host
        self.config = host.validate_config(CONNECTOR, config)  # refuse a bad config at start
        self._pending: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def issue(self, phone: str, usage_type: str) -> dict[str, Any]:
        code = f"{secrets.randbelow(10**6):06d}"
        result = self.host.send_message(
            CONNECTOR, self.config, to=phone, type=usage_type, payload={"code": code}
        )
        with self._lock:  # keep a digest, not the code
            self._pending[result.to] = (_digest(code), time.monotonic() + CODE_LIFETIME)
        return {"sent": True, "to": result.to, "route": result.to_dict().get("route")}

    def verify(self, phone: str, code: str) -> bool:
        from connector.tencent_sms.phone import normalize

        with self._lock:
            digest, expires = self._pending.pop(normalize(phone).e164, (b"", 0.0))
        return time.monotonic() < expires and hmac.compare_digest(digest, _digest(code))

    def app(self, environ: dict[str, Any], start: StartResponse) -> Iterable[bytes]:
        """The WSGI application."""
        try:
            size = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(min(size, 65536)) or b"{}")
            if not isinstance(body, dict):
                raise ValueError
            path = environ.get("PATH_INFO", "")
            if environ["REQUEST_METHOD"] != "POST" or path not in ("/codes", "/codes/verify"):
                return _reply(start, 404, {"error": "not found"})
            if path == "/codes":
                return _reply(
                    start,
                    202,
                    self.issue(str(body.get("phone", "")), str(body.get("type", "SignIn"))),
                )
            ok = self.verify(str(body.get("phone", "")), str(body.get("code", "")))
            return _reply(start, 200 if ok else 400, {"verified": ok})
        except ConnectorError as error:
            return _reply(start, error.http_status, error.to_dict())
        except ValueError:
            return _reply(start, 400, {"error": "send a JSON object"})


def _digest(code: str) -> bytes:
    return hashlib.sha256(code.encode()).digest()


def _reply(start: StartResponse, status: int, document: object) -> list[bytes]:
    data = json.dumps(document).encode()
    start(
        f"{status} {'OK' if status < 400 else 'Error'}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _post(url: str, document: object) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        url,
        data=json.dumps(document).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as reply:
        return reply.code, json.loads(reply.read())


def walkthrough() -> int:
    """Start the emulator and this app on loopback, and sign a user in by SMS."""
    from connector.emulator import Emulator

    with Emulator() as emulator:
        service = CodeService(ConnectorHost(), emulator.connector_config())
        server: WSGIServer = make_server("127.0.0.1", 0, service.app, handler_class=_Quiet)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            status, answer = _post(base + "/codes", {"phone": "8613800138000"})
            print(f"POST /codes → {status} {answer}")
            texted = emulator.outbox()[-1]["content"]
            print(f"the phone shows: {texted}")
            code = texted.split("code is ")[1][:6]
            status, answer = _post(base + "/codes/verify", {"phone": "8613800138000", "code": code})
            print(f"POST /codes/verify with {code} → {status} {answer}")
            status, answer = _post(base + "/codes", {"phone": "12345"})
            print(f"POST /codes for a bad number → {status} {answer['code']}: {answer['message']}")
        finally:
            server.shutdown()
            server.server_close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="serve until Ctrl-C")
    parser.add_argument("--config", help="the connector config JSON (needed with --serve)")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args()
    if not args.serve:
        return walkthrough()
    if args.config is None:
        parser.error("--serve needs --config PATH")
    with open(args.config, encoding="utf-8") as handle:
        service = CodeService(ConnectorHost(), json.load(handle))
    server = make_server("127.0.0.1", args.port, service.app, handler_class=_Quiet)
    base = f"http://127.0.0.1:{server.server_port}"
    print(
        f"serving on {base}: POST {base}/codes, POST {base}/codes/verify; Ctrl-C stops", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
