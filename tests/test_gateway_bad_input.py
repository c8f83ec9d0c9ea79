"""Malformed HTTP requests and bodies against the gateway process: 4xx, never 5xx, still up."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.emulator import Emulator
from tests.gateway_process import TOKEN, Gateway, logto_send

GOOD = {"to": "8613800138000", "type": "SignIn", "payload": {"code": "123456"}}
AUTH = f"Authorization: Bearer {TOKEN}\r\n"


def _request(body: bytes, *, headers: str = "", content_type: str = "application/json") -> bytes:
    head = (
        "POST /logto/sms HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"{AUTH}Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
    )
    return head.encode("latin-1") + body


def _with(**fields: object) -> bytes:
    document = {**GOOD, **fields}
    return json.dumps({k: v for k, v in document.items() if v is not ...}).encode()


_BAD_TO: tuple[object, ...] = (1, None, [], {}, True, 1.5, "", "x" * 1000, "+", "abc", "86 138")
_BAD_TYPE: tuple[object, ...] = (1, None, [], {}, "", "Nope", "signin", "SignIn ")
_BAD_PAYLOAD: tuple[object, ...] = (None, [], "code", 1, {}, {"code": ["1"]}, {"code": {}})
_BAD_IP: tuple[object, ...] = (1, [], {}, True)
WRONG_FIELDS: list[bytes] = [
    *(_with(to=v) for v in _BAD_TO),
    *(_with(type=v) for v in _BAD_TYPE),
    *(_with(payload=v) for v in _BAD_PAYLOAD),
    *(_with(payload={"code": "1", "x": {"y": 1}}), _with(payload={"code": "1", "": "e"})),
    *(_with(ip=v) for v in _BAD_IP),
    *(_with(to=...), _with(type=...), _with(payload=...)),
]
BODIES: list[bytes] = [
    b"",
    b"{",
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "1234',
    b'{"to": "8613800138000"',
    b"null",
    b"[]",
    b'"text"',
    b"42",
    b"true",
    b"{}",
    b"not json",
    b"\xff\xfe\x00{",
    b'{"to": "\xff\xfe", "type": "SignIn", "payload": {"code": "1"}}',
    b'{"to": "8613800138000\xc3", "type": "SignIn", "payload": {"code": "1"}}',
    b'{"to": "8613800138000", "to": "8613800138001", "type": "SignIn", "payload": {"code": "1"}}',
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "1", "code": "2"}}',
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": NaN}}',
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": Infinity}}',
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "1", "n": 1'
    + b"9" * 5000
    + b"}}",
    b"[" * 20000 + b"]" * 20000,
    b'{"a":' * 10000 + b"1" + b"}" * 10000,
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "1", "d": '
    + b"[" * 5000
    + b"]" * 5000
    + b"}}",
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "\\ud800"}}',
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "1"}} trailing',
    b'{"to": "8613800138000", "type": "SignIn", "payload": {"code": "1"},}',
    b"{'to': '8613800138000'}",
    b"\x00" * 100,
    b"\xef\xbb\xbf" + json.dumps(GOOD).encode()[:-1],
]
RAW: list[bytes] = [
    *(_request(body) for body in WRONG_FIELDS + BODIES),
    _request(json.dumps(GOOD).encode(), content_type="text/plain"),
    _request(json.dumps(GOOD).encode(), content_type="application/x-www-form-urlencoded"),
    _request(json.dumps(GOOD).encode(), content_type="application/json; charset=latin-1"),
    _request(json.dumps(GOOD).encode(), content_type="multipart/form-data; boundary=x"),
    _request(b'{"to": "' + b"1" * 70000 + b'"}'),  # over 64 KiB
    _request(json.dumps(GOOD).encode(), headers="X-Big: " + "a" * 20000 + "\r\n"),
    _request(json.dumps(GOOD).encode(), headers="".join(f"X-H{i}: v\r\n" for i in range(150))),
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\n" + AUTH.encode() + b"Content-Length: abc\r\n\r\n{}",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\n" + AUTH.encode() + b"Content-Length: -5\r\n\r\n{}",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\n"
    + AUTH.encode()
    + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\n"
    + AUTH.encode()
    + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\n"
    + AUTH.encode()
    + b"Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n{}",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\n"
    + AUTH.encode()
    + b'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n{"to":',  # truncated
    b"GARBAGE\r\n\r\n",
    b"POST /logto/sms HTTP/9.9\r\nHost: x\r\n\r\n",
    b"POST /logto/sms\r\n\r\n",
    b"P\x00ST /logto/sms HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\nX-Null: a\x00b\r\n\r\n",
    b"POST /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n",
    b"POST /logto/sms HTTP/1.1\r\nHost: x\r\nAuthorization: " + b"B" * 8000 + b"\r\n\r\n",
    b"POST /logto/sms?x=%ff HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"POST /logto/sms/../sms HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"POST /logto/%00 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"POST /logto/SMS HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"GET /logto/sms HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PUT /logto/sms HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"DELETE /logto/sms HTTP/1.1\r\nHost: x\r\n\r\n",
    b"PATCH /logto/sms HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"BREW /logto/sms HTTP/1.1\r\nHost: x\r\n\r\n",
    b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /%ff%fe HTTP/1.1\r\nHost: x\r\n\r\n",
]


def exchange(raw: bytes, port: int, trickle: float = 0.0) -> bytes:
    """Send ``raw`` (in pieces ``trickle`` seconds apart when asked); return the whole answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as conn:
        if trickle:
            for start in range(0, len(raw), 7):
                conn.sendall(raw[start : start + 7])
                time.sleep(trickle)
        else:
            # The server may answer and close before it has read everything.
            with contextlib.suppress(OSError):
                conn.sendall(raw)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(answer: bytes) -> int:
    first = answer.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[1].isdigit() else 0


@pytest.fixture
def gateway(emulator: Emulator, tmp_path: Path) -> Iterator[Gateway]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(emulator.connector_config()), encoding="utf-8")
    with Gateway("--config", str(path)) as gw:
        yield gw


def test_malformed_requests_get_4xx_and_the_server_stays_up(
    gateway: Gateway, emulator: Emulator
) -> None:
    port = int(gateway.base.rsplit(":", 1)[1])
    slow = [
        _request(json.dumps(GOOD).encode()[:-1] + b"!"),  # a bad body, trickled in
        _request(b'{"to": 1}'),
    ]
    cases = [(raw, 0.0) for raw in RAW] + [(raw, 0.01) for raw in slow]
    assert len(cases) >= 100
    problems = []
    for raw, trickle in cases:
        answer = exchange(raw, port, trickle)
        status = status_of(answer)
        if not 400 <= status < 500 or b"Traceback" in answer or b'File "' in answer:
            problems.append((raw[:120], answer[:300]))
    assert problems == [], f"{len(problems)} of {len(cases)} cases went wrong: {problems[:5]}"
    assert emulator.stats()["requests"] == 0  # nothing malformed reached Tencent
    assert gateway.proc.poll() is None
    [result] = logto_send(gateway.url, [GOOD], f"Bearer {TOKEN}")
    assert result["ok"] is True
    assert "Traceback" not in gateway.stderr
