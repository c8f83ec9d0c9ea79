"""``logto-connector``: list, inspect, validate and test-send connectors; run the emulator.

Exit status: 0 done; 1 the connector refused (invalid config, send failed); 2 wrong usage
(unknown connector, unreadable file, bad flags).  Errors are one line on stderr (with
``--json``, a ``{"ok": false, ...}`` document on stdout); never a traceback, never a secret.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import importlib.util
import json
import os
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from .kit import (
    ConfigReport,
    ConnectorError,
    ConnectorHost,
    ErrorCode,
    UnknownConnectorError,
    UnreadableConfigError,
    mask_phone,
    read_config_file,
)

if TYPE_CHECKING:
    from flask import Blueprint

    from .service import StoreConfigSource
    from .store import ConfigStore

PROG = "logto-connector"


class UsageError(Exception):
    """Wrong usage of the command line: exit status 2."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        #: The usage line of the (sub)command, for errors of the parser itself.
        self.usage = usage


class _OutputClosed(Exception):
    """Writing to stdout failed (a closed pipe, a full disk): nobody can read the answer."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.strerror or type(error).__name__)
        self.error = error


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # A prefix of a flag is a typo waiting to happen (``--js`` for ``--json``).
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage())


class _GuardedOutput:
    """stdout, with a failed write reported as :class:`_OutputClosed`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _OutputClosed(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _OutputClosed(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


DEBUG_VARIABLE = "LOGTO_CONNECTOR_DEBUG"
#: The exit status of a command whose reader went away, as a shell shows one killed by SIGPIPE.
CLOSED_PIPE_STATUS = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    for stream in (sys.stdout, sys.stderr):
        # Arguments with invalid UTF-8 arrive as surrogates; print them escaped, never crash.
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    parser = _build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv  # known before parsing, so usage errors honour it too
    debug = "--debug" in argv or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")
    real_stdout = sys.stdout
    sys.stdout = _GuardedOutput(real_stdout)
    try:
        return _run(parser, argv, as_json, debug)
    except _OutputClosed as exc:
        return _output_closed(exc.error)
    finally:
        sys.stdout = real_stdout


def _run(parser: argparse.ArgumentParser, argv: list[str], as_json: bool, debug: bool) -> int:
    try:
        args = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        status = handler(args)
        sys.stdout.flush()  # a write error surfaces here, not at interpreter exit
        return status
    except _OutputClosed:
        raise
    except UsageError as exc:
        if exc.usage and not as_json:
            sys.stderr.write(exc.usage)
        return _fail(2, "usage", str(exc), {}, as_json, label="error")
    except UnknownConnectorError as exc:
        return _fail(2, exc.code.value, exc.message, exc.data, as_json)
    except ConnectorError as exc:
        return _fail(1, exc.code.value, exc.message, exc.data, as_json)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line, not a traceback (unless asked for)
        if debug:
            traceback.print_exc()
        hint = "" if debug else f" (run with --debug or {DEBUG_VARIABLE}=1 for the traceback)"
        return _fail(
            1, ErrorCode.GENERAL.value, f"unexpected {type(exc).__name__}{hint}", {}, as_json
        )


def _output_closed(error: OSError) -> int:
    """Stop quietly when stdout cannot be written: silently for a closed pipe (as ``head``
    expects), with one line on stderr for anything else (``/dev/full``)."""
    try:  # nothing more may reach the broken stdout, not even at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    if isinstance(error, BrokenPipeError):
        return CLOSED_PIPE_STATUS
    with contextlib.suppress(OSError):
        print(f"{PROG}: error: cannot write the output: {error.strerror or error}", file=sys.stderr)
    return 1


def _fail(
    status: int,
    code: str,
    message: str,
    data: dict[str, Any],
    as_json: bool,
    *,
    label: str | None = None,
) -> int:
    if as_json:
        _print_json({"ok": False, "code": code, "message": message, "data": data})
    else:
        print(f"{PROG}: {label or code}: {message}{_provider_words(data)}", file=sys.stderr)
    return status


def _provider_words(data: dict[str, Any]) -> str:
    """The provider's own message, when it sent one (it says which limit, whose limit);
    any long run of digits in it (a phone number) is left out."""
    said = data.get("tencentMessage")
    if not isinstance(said, str) or not said.strip():
        return ""
    return f" (Tencent: {_DIGIT_RUN.sub('…', said.strip())[:300]})"


_DIGIT_RUN = re.compile(r"\+?[0-9]{7,}")


def _print_json(document: object) -> None:
    print(json.dumps(document, ensure_ascii=False, indent=2))


# -- the parser ------------------------------------------------------------------------------


_ID_HELP = "connector id or target, e.g. tencent-short-message-service or tencent-sms"
_JSON_HELP = 'print the result as JSON on stdout (a failure too: {"ok": false, ...})'
_PLUGIN_HELP = (
    "also load this connector object, e.g. my_sms:connector (a module in the current "
    "directory is found too); for trying a connector before packaging it"
)
_DEBUG_HELP = f"print the traceback of an unexpected error (or set {DEBUG_VARIABLE}=1)"


def _common_flags(late: bool) -> _Parser:
    """--plugin and --debug, accepted before the subcommand and after it."""
    flags = _Parser(add_help=False)
    flags.add_argument(
        "--plugin",
        action="append",
        dest="late_plugins" if late else "plugins",
        default=[],
        metavar="MODULE:OBJECT",
        help=_PLUGIN_HELP,
    )
    flags.add_argument(
        "--debug",
        action="store_true",
        # After the subcommand, absent must not undo a --debug given before it.
        default=argparse.SUPPRESS if late else False,
        help=_DEBUG_HELP,
    )
    return flags


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Logto-style SMS connectors: inspect, check, send; a local Tencent SMS API.",
        parents=[_common_flags(late=False)],
    )
    sub = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser, metavar="COMMAND"
    )
    common = [_common_flags(late=True)]

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=summary, description=summary, parents=common)

    p = command("list", "the installed connectors")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    p.set_defaults(handler=cmd_list)

    p = command("show", "a connector's metadata, form, logo and setup guide")
    p.add_argument("id", help=_ID_HELP)
    p.add_argument("--json", action="store_true", help="print the resolved metadata as JSON")
    p.set_defaults(handler=cmd_show)

    p = command("schema", "the JSON Schema of a connector's config")
    p.add_argument("id", help=_ID_HELP)
    p.set_defaults(handler=cmd_schema)

    p = command("validate", "check a config; list every error and warning")
    p.add_argument("id", help=_ID_HELP)
    p.add_argument("config", help="path of the config JSON, or - for stdin")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    p.set_defaults(handler=cmd_validate)

    p = command("send", "send a test message")
    p.add_argument("id", help=_ID_HELP)
    p.add_argument("--config", required=True, help="path of the config JSON, or - for stdin")
    p.add_argument("--to", required=True, help="phone number, e.g. +8613800138000")
    p.add_argument("--type", default="Generic", help="template type (default: Generic)")
    p.add_argument("--code", help="the code to send (default: 6 random digits)")
    p.add_argument("--payload", help="more payload as a JSON object, e.g. '{\"minutes\": 5}'")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    p.set_defaults(handler=cmd_send)

    p = command("check", "check a config's sign and templates with the provider account")
    p.add_argument("id", help=_ID_HELP)
    p.add_argument("config", help="path of the config JSON, or - for stdin")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    p.set_defaults(handler=cmd_check)

    p = command("emulator", "run a local Tencent SMS API (no account needed)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 listens on every interface)",
    )
    p.add_argument("--port", type=_port, default=8080, help="0 picks a free port")
    p.add_argument(
        "--accounts", metavar="FILE", help="accounts JSON, served beside the demo account"
    )
    p.add_argument("--write-config", metavar="PATH", help="write a connector config for it")
    p.add_argument("--tls", action="store_true", help="serve https with a throwaway CA")
    p.add_argument(
        "--no-limits",
        action="store_true",
        help="switch off the per-number limits (1 per 30 s for the same text, 5 an hour, 10 a day)",
    )
    p.add_argument(
        "--report-delay",
        type=_seconds,
        default=1.0,
        metavar="SECONDS",
        help="seconds until a message's delivery report is ready (default: 1)",
    )
    p.add_argument("--callback-url", metavar="URL", help="push delivery reports to this URL")
    p.set_defaults(handler=cmd_emulator)

    p = command("demo", "send two codes through the emulator and show the phones")
    p.set_defaults(handler=cmd_demo)

    p = command("serve", "serve the endpoint Logto's HTTP SMS connector calls")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE", help="the connector config to send with")
    source.add_argument("--emulator", action="store_true", help="start the emulator and use it")
    source.add_argument(
        "--store",
        metavar="PATH|URL",
        help="serve the newest config saved here (SQLite file, or postgresql://USER@HOST/DB)",
    )
    p.add_argument("--name", default="default", help="with --store: which config (default)")
    p.add_argument("--key-file", metavar="FILE", help="with --store: its key (default: PATH.key)")
    p.add_argument(
        "--with-emulator",
        action="store_true",
        help="with --store: also start the emulator, save its config when the store has none, "
        "and show its outbox in the admin console",
    )
    p.add_argument(
        "--connector",
        default="tencent-short-message-service",
        metavar="ID",
        help="the connector to send through (default: tencent-short-message-service)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8090, help="0 picks a free port")
    p.add_argument("--workers", type=_count, default=1, help="processes (default 1)")
    p.add_argument("--threads", type=_count, default=8, help="threads per process (default 8)")
    p.add_argument("--token-file", metavar="PATH", help="file holding the bearer token")
    p.add_argument("--no-auth", action="store_true", help="no token (loopback addresses only)")
    p.add_argument(
        "--callback-token-file",
        metavar="PATH",
        help="with --store: receive Tencent's status callbacks on "
        "/tencent/status-callback/<this file's token> (or LOGTO_CONNECTOR_CALLBACK_TOKEN)",
    )
    p.add_argument(
        "--callback-allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="accept status callbacks only from these addresses (repeat for more)",
    )
    p.add_argument(
        "--guards",
        metavar="FILE",
        help="abuse guards JSON: countries, limits, spend ceiling (with --store, by default "
        "the guards saved there by config set-guards)",
    )
    p.add_argument(
        "--redis",
        metavar="URL",
        help="redis://… holding the guards' counters, shared by every worker and machine",
    )
    p.set_defaults(handler=cmd_serve)

    p = command("status", "a message's delivery receipts, as the store keeps them")
    p.add_argument("serial_no", metavar="SERIALNO", help="the SerialNo the send returned")
    p.add_argument("--store", required=True, metavar="PATH", help="the store (SQLite file)")
    p.add_argument("--key-file", metavar="FILE", help="its key (default: PATH.key)")
    p.add_argument("--json", action="store_true", help=_JSON_HELP)
    p.set_defaults(handler=cmd_status)

    p = command("poll-receipts", "pull delivery receipts into the store (no public URL needed)")
    p.add_argument("--store", required=True, metavar="PATH", help="the store (SQLite file)")
    p.add_argument("--key-file", metavar="FILE", help="its key (default: PATH.key)")
    p.add_argument("--name", default="default", help="the saved config to pull with (default)")
    p.add_argument("--once", action="store_true", help="take what is waiting, then stop")
    p.set_defaults(handler=cmd_poll_receipts)

    _add_config_parser(command("config", "saved configs: versions, history, restore, keys"), common)
    return parser


def _add_config_parser(config: argparse.ArgumentParser, common: list[_Parser]) -> None:
    commands = config.add_subparsers(
        dest="config_command", required=True, parser_class=_Parser, metavar="SUBCOMMAND"
    )

    def command(
        name: str, summary: str, handler: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=summary, description=summary, parents=common)
        p.add_argument(
            "--store",
            required=True,
            metavar="PATH|URL",
            help="the store: an SQLite file, or postgresql://USER@HOST/DB",
        )
        p.add_argument("--key-file", metavar="FILE", help="its key (default: PATH.key)")
        p.add_argument("--json", action="store_true", help=_JSON_HELP)
        p.set_defaults(handler=handler)
        return p

    p = command("set", "validate a config and save it as the next version", cmd_config_set)
    p.add_argument("name", help="config name, e.g. default")
    p.add_argument("file", help="path of the config JSON, or - for stdin")
    p.add_argument("--connector", metavar="ID", help="its connector (default: as saved before)")
    p.add_argument("--note", default="", help="why this version (shown in the history)")
    p = command("get", "a saved config, secrets masked", cmd_config_get)
    p.add_argument("name")
    p.add_argument("--version", type=_version, help="an older version (default: the newest)")
    p = command("history", "every version of a config, newest first", cmd_config_history)
    p.add_argument("name")
    p = command("restore", "save a copy of an old version as the newest", cmd_config_restore)
    p.add_argument("name")
    p.add_argument("version", type=_version)
    p.add_argument("--note", default="", help="why (default: restored version N)")
    p = command("set-guards", "check abuse guards JSON and save it beside a config", cmd_guards_set)
    p.add_argument("name", help="the config the guards protect, e.g. default")
    p.add_argument("file", help="path of the guards JSON, or - for stdin")
    p.add_argument("--note", default="", help="why this version (shown in the history)")
    p = command("get-guards", "the guards saved beside a config", cmd_guards_get)
    p.add_argument("name")
    command("list", "the names of the saved configs", cmd_config_list)
    command("rotate-key", "seal every version under a new key", cmd_config_rotate_key)


# -- commands ------------------------------------------------------------------------------


def _host(args: argparse.Namespace) -> ConnectorHost:
    host = ConnectorHost()
    for refused in host.load_errors:
        print(f"{PROG}: warning: {refused.message}", file=sys.stderr)
    for spec in [*args.plugins, *args.late_plugins]:
        host.add(_load_plugin(spec), source=f"--plugin {spec}")
    return host


def _load_plugin(spec: str) -> object:
    """The object ``MODULE:OBJECT`` names; a module in the current directory is found too."""
    module_name, colon, attr = spec.partition(":")
    if not colon or not module_name.strip() or not attr.strip():
        raise UsageError(
            f"--plugin {spec!r}: give MODULE:OBJECT, the module and the connector object in "
            "it, e.g. my_sms:connector"
        )
    if os.getcwd() not in sys.path:
        # The console script's sys.path starts at its own folder; `python -m` would look here.
        sys.path.append(os.getcwd())
    try:
        obj: object = importlib.import_module(module_name.strip())
    except ImportError as exc:
        raise UsageError(f"--plugin {spec!r}: cannot import {module_name!r} ({exc})") from None
    except Exception as exc:
        raise UsageError(
            f"--plugin {spec!r}: importing {module_name!r} failed ({type(exc).__name__})"
        ) from None
    for part in attr.strip().split("."):
        if not hasattr(obj, part):
            raise UsageError(f"--plugin {spec!r}: {module_name!r} has no {attr.strip()!r}")
        obj = getattr(obj, part)
    return obj


def cmd_list(args: argparse.Namespace) -> int:
    """``list``: one line per connector (or a JSON array)."""
    host = _host(args)
    rows = []
    for cid in host.ids():
        meta = host.metadata(cid)
        rows.append(
            {
                "id": cid,
                "target": meta["target"],
                "name": meta["name"].get("en", cid),
                "platform": meta["platform"],
                "source": host.source(cid),
            }
        )
    if args.json:
        _print_json(rows)
    elif not rows:
        print("no connectors installed")
    else:
        width = max(len(str(r["id"])) for r in rows)
        for r in rows:
            print(f"{r['id']:<{width}}  {r['name']}  (target {r['target']})")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    """``show``: what a console shows for one connector."""
    host = _host(args)
    meta: dict[str, Any] = dict(host.metadata(args.id, resolve=True))
    if args.json:
        _print_json(meta)
        return 0
    print(f"{meta['name'].get('en', meta['id'])}")
    print(f"  id:       {meta['id']}")
    print(f"  target:   {meta['target']}")
    print(f"  source:   {host.source(args.id)}")
    print(f"  about:    {meta['description'].get('en', '')}")
    print(f"  names:    {', '.join(sorted(meta['name']))}")
    print(f"  logo:     {meta['logo'][:48]}{'…' if len(meta['logo']) > 48 else ''}")
    print("  config form:")
    for item in meta.get("formItems", []):
        flags = [item["type"], "required" if item.get("required") else "optional"]
        if item.get("isConfidential"):
            flags.append("secret")
        print(f"    {item['key']:<16} {item['label']} ({', '.join(flags)})")
    readme = str(meta.get("readme") or "")
    print(f"  setup guide: {len(readme.splitlines())} lines (show --json prints it)")
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """``schema``: the config's JSON Schema."""
    _print_json(_host(args).config_schema(args.id))
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``validate``: every error and warning of a config, one per line.

    Errors refuse the config (exit 1); warnings alone leave it usable (exit 0) and go to
    stderr, or into the JSON document with ``--json``.
    """
    host = _host(args)
    cid = _resolve_id(host, args.id)
    config = read_config(args.config)
    report = _checked_config(host, cid, config, args.json)
    if report is None:
        return 1
    if args.json:
        warnings = [p.to_dict() for p in report.warnings]
        _print_json({"ok": True, "connectorId": cid, "problems": [], "warnings": warnings})
    else:
        print(f"config is valid for {cid}")
    return 0


def _checked_config(
    host: ConnectorHost, cid: str, config: object, as_json: bool
) -> ConfigReport | None:
    """The report when the config has no errors (its warnings on stderr, or left to the JSON
    document); else None with every problem printed, or with ``as_json`` raised so that it
    goes out as every other ``--json`` failure does."""
    report = host.check_config(cid, config)
    if as_json:
        report.raise_for_errors()
        return report
    if report.ok:
        for problem in report.warnings:
            print(f"{PROG}: warning: {problem}", file=sys.stderr)
        return report
    for problem in report.errors:
        print(f"  {problem}")
    for problem in report.warnings:
        print(f"  warning: {problem}")
    noun = "problem" if len(report.errors) == 1 else "problems"
    print(
        f"{PROG}: invalid_config: config has {len(report.errors)} {noun} (listed above)",
        file=sys.stderr,
    )
    return None


def cmd_send(args: argparse.Namespace) -> int:
    """``send``: one test message through a connector."""
    host = _host(args)
    cid = _resolve_id(host, args.id)
    config = read_config(args.config)
    payload: dict[str, Any] = {}
    if args.payload is not None:
        try:
            extra = json.loads(args.payload)
        except (ValueError, RecursionError):
            raise UsageError("--payload is not valid JSON") from None
        if not isinstance(extra, dict):
            raise UsageError("--payload must be a JSON object")
        payload.update(extra)
    code = args.code if args.code is not None else payload.get("code", _random_code())
    payload["code"] = code
    result = host.send_message(cid, config, to=args.to, type=args.type, payload=payload)
    # The code and the whole number stay out of the output (a terminal is scrollback, a CI
    # log, a screen share); the phone shows the code.
    to = mask_phone(result.to)
    if args.json:
        _print_json({"ok": True, **result.to_dict(), "to": to})
    else:
        # Only what this connector reported: a connector without provider detail prints no "None".
        facts = {"RequestId": result.request_id, **result.detail}
        shown = ", ".join(f"{name} {value}" for name, value in facts.items() if value is not None)
        print(f"sent {args.type} to {to}" + (f"; {shown}" if shown else ""))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``check``: the config against the provider account; exit 1 when an error is found."""
    from .kit import CHECK_SEVERITIES

    host = _host(args)
    cid = _resolve_id(host, args.id)
    findings = host.check_account(cid, read_config(args.config))
    errors = [f for f in findings if f.severity == "error"]
    counts = {s: sum(f.severity == s for f in findings) for s in CHECK_SEVERITIES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    if args.json:
        document = {
            "connectorId": cid,
            "counts": counts,
            "findings": [f.to_dict() for f in findings],
        }
        if errors:
            message = f"the account check found {len(errors)} error(s)"
            return _fail(1, ErrorCode.INVALID_CONFIG.value, message, document, True)
        _print_json({"ok": True, **document})
        return 0
    for finding in sorted(findings, key=lambda f: CHECK_SEVERITIES.index(f.severity)):
        print(f"{finding.severity:<9} {finding.path}: {finding.message}")
        if finding.advice:
            print(f"{'':<9} → {finding.advice}")
    print(f"{cid}: {summary or 'nothing to check'}")
    if errors:
        print(
            f"{PROG}: invalid_config: the account check found {len(errors)} error(s)",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    """``emulator``: a local Tencent SMS API in the foreground."""
    if args.tls:
        try:
            import cryptography  # noqa: F401
        except ImportError:
            raise UsageError("--tls needs the cryptography package: pip install '.[tls]'") from None
    from .emulator import DEFAULT_LIMITS, serve

    return serve(
        args.host,
        args.port,
        accounts_path=args.accounts,
        tls=args.tls,
        write_config=args.write_config,
        limits=None if args.no_limits else DEFAULT_LIMITS,
        report_delay=args.report_delay,
        callback_url=args.callback_url,
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: the whole path, end to end, on this machine."""
    from .demo import run_demo

    return run_demo()


@contextlib.contextmanager
def _open_store(args: argparse.Namespace, *, create: bool = False) -> Iterator[ConfigStore]:
    # Imported here: the store needs cryptography, which the other commands never pay for.
    from .store import StoreError, open_store

    new = not _store_exists(args.store)
    if new and not create:  # a mistyped path makes no new store
        raise UsageError(f"no store at {args.store} (config set creates one)")
    try:
        store = open_store(args.store, key_file=args.key_file)
        if new:  # say so: the key file is the one thing a backup of the store does not hold
            key = store.keys.path
            sealed = f"its key in {key}: back it up apart" if key else "sealed with the key given"
            print(f"{PROG}: created store {args.store}, {sealed}", file=sys.stderr)
        try:
            yield store
        finally:
            store.close()
    except StoreError as exc:  # no such version, wrong key, not a store: wrong usage
        raise UsageError(str(exc)) from None


def cmd_status(args: argparse.Namespace) -> int:
    """``status``: the receipts kept for one SerialNo; exit 1 while there is none."""
    with _open_store(args) as store:
        receipts = store.receipts(args.serial_no)
    if not receipts:
        message = (
            f"no receipt for {args.serial_no} yet: the carrier has not reported, or the "
            "report went to no receiver of this store"
        )
        return _fail(1, ErrorCode.GENERAL.value, message, {"serialNo": args.serial_no}, args.json)
    if args.json:
        _print_json({"ok": True, "receipts": [r.to_dict() for r in receipts]})
        return 0
    for r in receipts:
        when = (
            ""
            if r.received_at is None
            else time.strftime(" at %Y-%m-%d %H:%M:%S UTC", time.gmtime(r.received_at))
        )
        print(f"{r.serial_no}  {r.phone}  {r.status} {r.code}{when}")
    return 0


def cmd_poll_receipts(args: argparse.Namespace) -> int:
    """``poll-receipts``: the provider's waiting receipts into the store, until Ctrl-C (or,
    with ``--once``, until none is waiting).  Each new one is printed, the number masked."""
    from .kit import DeliveryReceipt, poll_receipts

    host = _host(args)
    with _open_store(args) as store:
        saved = store.latest(args.name)
        if saved is None:
            raise UsageError(f"no config {args.name!r} in {args.store} (config set saves one)")
        cid, config = saved.connector_id, saved.config

        def keep(batch: list[DeliveryReceipt]) -> None:
            for r in store.add_receipts(batch):
                print(f"{r.serial_no}  {r.masked_phone}  {r.status} {r.code}", flush=True)

        if args.once:
            while batch := host.pull_receipts(cid, config):
                keep(batch)
            return 0
        stop = threading.Event()
        try:
            poll_receipts(lambda: host.pull_receipts(cid, config), keep, stop=stop)
        except KeyboardInterrupt:
            stop.set()
    return 0


def cmd_config_set(args: argparse.Namespace) -> int:
    """``config set``: validate with the connector, then save the next version."""
    host = _host(args)
    config = read_config(args.file)
    cid = args.connector
    if cid is None and _store_exists(args.store):
        with _open_store(args) as store:
            previous = store.latest(args.name)
        cid = previous.connector_id if previous else None
    cid = _resolve_id(host, cid or _only_connector(host))
    report = _checked_config(host, cid, config, args.json)
    if report is None:
        return 1  # refused before the store is touched: a first refusal makes no empty store
    assert isinstance(config, dict)
    with _open_store(args, create=True) as store:
        saved = store.save(args.name, cid, config, args.note)
    if args.json:
        warnings = [p.to_dict() for p in report.warnings]
        _print_json({"ok": True, **saved.summary(), "warnings": warnings})
    else:
        print(f"saved {saved.name!r} version {saved.version} ({saved.connector_id})")
    return 0


def cmd_config_get(args: argparse.Namespace) -> int:
    """``config get``: one version, its secrets masked."""
    from .kit import mask_secrets, secret_keys

    host = _host(args)
    with _open_store(args) as store:
        saved = _saved_version(store, args.name, args.version)
    cid = _resolve_id(host, saved.connector_id)  # unknown connector: its secrets are unknown too
    masked = mask_secrets(saved.config, secret_keys(host.metadata(cid), host.config_schema(cid)))
    if args.json:
        _print_json({"ok": True, **saved.summary(), "config": masked})
    else:
        print(f"# {_describe_version(saved.summary())}")
        _print_json(masked)
    return 0


def _store_exists(where: str) -> bool:
    """A database server's store always exists (made on first use); a file must be there."""
    return "://" in where or os.path.exists(where)


def cmd_guards_set(args: argparse.Namespace) -> int:
    """``config set-guards``: check the guards document, then save it as NAME.guards."""
    from .service import GUARDS_KIND, GuardSettings, GuardSettingsError, guards_name

    document = read_config(args.file)
    try:
        GuardSettings.from_document(document)
    except GuardSettingsError as exc:
        return _fail(1, ErrorCode.INVALID_CONFIG.value, str(exc), {}, args.json)
    assert isinstance(document, dict)
    with _open_store(args, create=True) as store:
        saved = store.save(guards_name(args.name), GUARDS_KIND, document, args.note)
    if args.json:
        _print_json({"ok": True, **saved.summary()})
    else:
        print(f"saved guards of {args.name!r} as {saved.name!r} version {saved.version}")
    return 0


def cmd_guards_get(args: argparse.Namespace) -> int:
    """``config get-guards``: the newest guards saved beside a config (they hold no secret)."""
    from .service import guards_name

    with _open_store(args) as store:
        saved = store.latest(guards_name(args.name))
    if saved is None:
        raise UsageError(f"no guards saved for {args.name!r} (config set-guards saves them)")
    if args.json:
        _print_json({"ok": True, **saved.summary(), "guards": saved.config})
    else:
        print(f"# {_describe_version(saved.summary())}")
        _print_json(saved.config)
    return 0


def cmd_config_history(args: argparse.Namespace) -> int:
    """``config history``: every version, newest first."""
    with _open_store(args) as store:
        versions = [v.summary() for v in store.history(args.name)]
    if not versions:
        raise UsageError(f"no config named {args.name!r} in this store (see config list)")
    if args.json:
        _print_json({"ok": True, "name": args.name, "versions": versions})
    else:
        for summary in versions:
            print(_describe_version(summary))
    return 0


def cmd_config_restore(args: argparse.Namespace) -> int:
    """``config restore``: an old version, checked again, saved as the newest."""
    host = _host(args)
    with _open_store(args) as store:
        old = _saved_version(store, args.name, args.version)
        cid = _resolve_id(host, old.connector_id)
        if _checked_config(host, cid, old.config, args.json) is None:
            return 1
        saved = store.restore(args.name, args.version, args.note)
    if args.json:
        _print_json({"ok": True, **saved.summary(), "restored": args.version})
    else:
        print(f"restored {saved.name!r} version {args.version} as version {saved.version}")
    return 0


def cmd_config_list(args: argparse.Namespace) -> int:
    """``config list``: the saved names with their newest version."""
    with _open_store(args) as store:
        rows = [{"name": n, "version": store.latest_version(n)} for n in store.names()]
    if args.json:
        _print_json({"ok": True, "configs": rows})
    elif not rows:
        print(f"no configs saved in {args.store}")
    else:
        for row in rows:
            print(f"{row['name']}  (version {row['version']})")
    return 0


def cmd_config_rotate_key(args: argparse.Namespace) -> int:
    """``config rotate-key``: every version sealed again under a new key."""
    from .store import rotate_key

    with _open_store(args) as store:
        done = rotate_key(store)
    if args.json:
        _print_json(
            {
                "ok": True,
                "keyId": done.key_id,
                "retired": done.retired,
                "versions": done.versions,
                "keySource": done.source,
            }
        )
    else:
        print(
            f"sealed {done.versions} versions under key {done.key_id} ({done.source}); "
            f"retired {', '.join(done.retired) or 'no key'}"
        )
    return 0


def _saved_version(store: ConfigStore, name: str, version: int | None) -> Any:
    saved = store.latest(name) if version is None else store.get(name, version)
    if saved is None and version is not None and store.latest_version(name) is not None:
        raise UsageError(f"config {name!r} has no version {version} (see config history {name})")
    if saved is None:
        raise UsageError(f"no config named {name!r} in this store (see config list)")
    return saved


def _describe_version(summary: dict[str, Any]) -> str:
    note = f"  {summary['note']}" if summary["note"] else ""
    return (
        f"{summary['name']} v{summary['version']}  {summary['savedAt']}  "
        f"{summary['connectorId']}{note}"
    )


def _only_connector(host: ConnectorHost) -> str:
    ids = host.ids()
    if len(ids) != 1:
        raise UsageError("which connector is this config for? give --connector ID")
    return ids[0]


def _version(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version number (1, 2, 3 …)")
    return int(text)


def _check_can_listen(host: str, port: int) -> None:
    """Refuse an address that cannot be listened on before anything starts: gunicorn would
    retry it for seconds with a log line each time."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = (
                "is in use; pass another --port"
                if exc.errno == errno.EADDRINUSE
                else (f"cannot be listened on: {exc.strerror or exc}")
            )
            raise UsageError(f"{host}:{port} {reason}") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """``serve``: the gateway Logto's HTTP SMS connector calls, on gunicorn."""
    import contextlib
    import secrets

    try:
        from . import service
    except ImportError as exc:
        missing = exc.name or "a dependency"
        raise UsageError(f"serve needs {missing}: pip install '.[serve]'") from None

    host = _host(args)
    try:
        token = service.read_token(args.token_file)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    made_token = False
    if token is None and args.no_auth:
        if not service.is_loopback(args.host):
            raise UsageError("--no-auth is allowed on a loopback address only")
        print(f"{PROG}: warning: serving without a token (--no-auth)", file=sys.stderr)
    elif token is None and args.emulator:
        token, made_token = secrets.token_urlsafe(32), True
    elif token is None:
        raise UsageError(
            f"no token: set {service.TOKEN_ENV} or pass --token-file (or --no-auth on loopback)"
        )
    if args.with_emulator and args.store is None:
        raise UsageError("--with-emulator goes with --store")
    _check_can_listen(args.host, args.port)
    with contextlib.ExitStack() as stack:
        emulator_url: str | None = None
        blueprints = None
        if args.emulator or args.with_emulator:
            from .emulator import Emulator

            emulator = stack.enter_context(Emulator())
            emulator_url = emulator.url
            print(f"Tencent SMS emulator on {emulator.url} (outbox: {emulator.url}/)")
        if args.emulator:
            source: service.ConfigSource = service.StaticConfigSource(
                host, args.connector, emulator.connector_config(), "emulator"
            )
        elif args.store is not None:
            source = _store_source(host, args)
            if args.with_emulator:
                _save_if_none(args, _resolve_id(host, args.connector), emulator.connector_config())
            blueprints = _admin_blueprints(host, args, emulator_url)
        else:
            try:
                source = service.FileConfigSource(host, args.connector, args.config)
            except UnreadableConfigError as exc:
                raise UsageError(str(exc)) from None
        guards = _serve_guards(service, args, source)
        active = source.current()
        if isinstance(source, service.StoreConfigSource):
            source.close()  # each worker opens the store itself: no connection crosses a fork
        for warning in active.warnings if active else ():
            print(f"{PROG}: warning: {warning}", file=sys.stderr)
        receiver, callback_token = _callback_receiver(host, args, source)
        serving = active.connector_id if active else f"config {args.name!r} once it is saved"

        def ready(url: str) -> None:
            print(f"Serving {serving} for Logto's HTTP SMS connector", flush=True)
            print(f"  Endpoint:              {url}", flush=True)
            if made_token:
                # Made for this run only; the admin pastes it into Logto's form.
                print(f"  Authorization Header:  Bearer {token}", flush=True)
            if blueprints is not None:
                print(f"  Admin console:         {url.rsplit('/logto/', 1)[0]}/admin/", flush=True)
            if receiver:
                base = url.rsplit("/logto/sms", 1)[0]
                print(
                    f"  Status callback:       {base}/tencent/status-callback/<token>", flush=True
                )
                if args.with_emulator and callback_token is not None:
                    # The emulator's delivery reports come back to this gateway, as Tencent's
                    # would once the URL is in its console.
                    emulator.push_callbacks_to(f"{base}/tencent/status-callback/{callback_token}")

        options = service.ServeOptions(
            host=args.host,
            port=args.port,
            workers=args.workers,
            threads=args.threads,
            token=token,
            deadline=active.deadline if active else service.DEFAULT_SEND_DEADLINE,
            on_ready=ready,
            guards=guards,
            redis_url=args.redis,
            blueprints=_all_blueprints(blueprints, receiver),
        )
        return service.serve(host, source, options)


def _all_blueprints(
    admin: Callable[[], list[tuple[Blueprint, str | None]]] | None,
    receiver: tuple[tuple[Blueprint, str | None], ...],
) -> Callable[[], list[tuple[Blueprint, str | None]]] | None:
    """What each worker adds to the gateway: the admin console (made per worker) and the
    status-callback receiver."""
    if admin is None and not receiver:
        return None
    return lambda: [*(admin() if admin is not None else ()), *receiver]


def _callback_receiver(
    host: ConnectorHost, args: argparse.Namespace, source: object
) -> tuple[tuple[tuple[Blueprint, str | None], ...], str | None]:
    """The status-callback receiver for ``serve --store``, when a callback token is set, and
    that token."""
    from . import service

    try:
        token = service.read_token(args.callback_token_file, variable=service.CALLBACK_TOKEN_ENV)
        allow = service.parse_networks(args.callback_allow)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if token is None:
        if args.callback_allow:
            raise UsageError("--callback-allow needs a callback token (--callback-token-file)")
        return (), None
    if not isinstance(source, service.StoreConfigSource):
        raise UsageError("status callbacks are kept in the store: serve with --store")
    store_source = source
    settings = service.CallbackSettings(
        host=host,
        connector_id=args.connector,
        token=token,
        # Each worker's own store connection, opened after the fork.
        keep=lambda receipts: store_source.store().add_receipts(receipts),
        allow=allow,
    )
    return ((service.callback_blueprint(settings), None),), token


def _store_source(host: ConnectorHost, args: argparse.Namespace) -> StoreConfigSource:
    """The gateway's source for ``serve --store``: one store connection per worker."""
    from .service import StoreConfigSource
    from .store import StoreError, open_store

    source = StoreConfigSource(
        host, lambda: open_store(args.store, key_file=args.key_file), args.name
    )
    try:  # a wrong key, a file that is not a store, a bad name: stop here, not per request
        source.store().latest_version(args.name)
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    return source


def _save_if_none(args: argparse.Namespace, connector_id: str, config: dict[str, Any]) -> None:
    """``serve --store --with-emulator``: a store without that config starts with the
    emulator's."""
    from .store import open_store

    store = open_store(args.store, key_file=args.key_file)
    try:
        if store.latest_version(args.name) is None:
            store.save(args.name, connector_id, config, "serve --with-emulator")
    finally:
        store.close()


def _admin_blueprints(
    host: ConnectorHost, args: argparse.Namespace, emulator_url: str | None
) -> Callable[[], list[tuple[Blueprint, str | None]]] | None:
    """The admin console for ``serve --store``, made in each worker with that worker's own
    store connection; None (and a note) while its credential is not set."""
    from .service.admin import AdminSettings, admin_blueprint, outbox_reader
    from .store import open_store

    try:
        settings = AdminSettings.from_env(
            config_name=args.name,
            outbox=outbox_reader(emulator_url) if emulator_url else None,
        )
    except ValueError as exc:
        print(f"{PROG}: admin console off: {exc}", file=sys.stderr)
        return None

    def make() -> list[tuple[Blueprint, str | None]]:
        store = open_store(args.store, key_file=args.key_file)
        return [(admin_blueprint(host, store, settings), None)]

    return make


def _serve_guards(service: Any, args: argparse.Namespace, source: Any) -> Any:
    """``serve``'s guards: ``--guards FILE``; else, with ``--store``, those saved beside the
    config (followed as they are saved); checked with ``--redis`` before anything starts."""
    if args.guards is not None:
        try:
            guards = service.GuardSettings.read(args.guards)
        except UnreadableConfigError as exc:
            raise UsageError(str(exc)) from None
        except service.GuardSettingsError as exc:
            raise UsageError(f"{args.guards}: {exc}") from None
    elif isinstance(source, service.StoreConfigSource):
        guards = service.StoreGuardSource(source.store, args.name)
    elif args.redis is not None:
        raise UsageError("--redis holds the guards' counters: give --guards FILE (or --store)")
    else:
        return None
    if args.redis is not None:
        if not re.match(r"^(redis|rediss|unix)://", args.redis):
            raise UsageError("--redis takes a URL: redis://HOST:PORT/DB, rediss://… or unix://PATH")
        if importlib.util.find_spec("redis") is None:
            raise UsageError("serve --redis needs redis: pip install '.[redis]'")
    if args.redis is None and args.workers > 1:
        print(
            f"{PROG}: warning: without --redis each of the {args.workers} workers counts "
            "its own sends: the limits hold per worker",
            file=sys.stderr,
        )
    return guards


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count from 1 to 64")
    return int(text)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535)")
    return port


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 to 86400)")
    return seconds


def _random_code() -> str:
    import secrets

    return f"{secrets.randbelow(10**6):06d}"


def _resolve_id(host: ConnectorHost, cid: str) -> str:
    return str(host.metadata(cid)["id"])


def read_config(where: str) -> object:
    """Read a config from a path or ``-`` (stdin).  Unreadable: usage error; not JSON: refused."""
    try:
        return read_config_file(where)
    except UnreadableConfigError as exc:
        raise UsageError(str(exc)) from None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
