"""The Dockerfile: no daemon runs here, so check what can be checked without one."""

from __future__ import annotations

import json
from pathlib import Path

from connector import cli

ROOT = Path(__file__).resolve().parents[1]


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    rows = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            word, _, rest = line.strip().partition(" ")
            rows.append((word.upper(), rest.strip()))
    return rows


def test_copies_what_the_wheel_is_built_from() -> None:
    copied = {src for word, rest in _instructions() if word == "COPY" for src in rest.split()[:-1]}
    assert {"connector", "schemas", "metadata", "pyproject.toml", "README.md"} <= copied
    for name in copied:
        assert (ROOT / name).exists(), name
    runs = " ".join(rest for word, rest in _instructions() if word == "RUN")
    # The extras logto-connector serve needs, --redis and a postgresql:// store included.
    assert "pip install '.[serve,redis,postgresql]'" in runs


def test_runs_serve_as_a_non_root_user() -> None:
    rows = _instructions()
    users = [rest for word, rest in rows if word == "USER"]
    assert users and users[-1] not in ("root", "0")
    [cmd] = [rest for word, rest in rows if word == "CMD"]
    argv = json.loads(cmd)  # exec form, so SIGTERM reaches the service itself
    assert argv[:2] == ["logto-connector", "serve"]
    args = cli._build_parser().parse_args(argv[1:])
    assert args.handler is cli.cmd_serve
    assert args.config and args.host == "0.0.0.0"
