"""``logto-connector``: list, inspect, validate and test-send connectors; run the emulator.

Exit status: 0 done; 1 the connector refused (invalid config, send failed); 2 wrong usage
(unknown connector, unreadable file, bad flags).  Errors are one line on stderr (with
``--json``, a ``{"ok": false, ...}`` document on stdout); never a traceback, never a secret.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import json
import os
import re
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO

from .kit import (
    ConnectorError,
    ConnectorHost,
    ErrorCode,
    UnknownConnectorError,
    UnreadableConfigError,
    read_config_file,
)

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
    p.set_defaults(handler=cmd_emulator)

    p = command("demo", "send two codes through the emulator and show the phones")
    p.set_defaults(handler=cmd_demo)

    p = command("serve", "serve the endpoint Logto's HTTP SMS connector calls")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--config", metavar="FILE", help="the connector config to send with")
    source.add_argument("--emulator", action="store_true", help="start the emulator and use it")
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
        "--guards", metavar="FILE", help="abuse guards JSON: country lists, limits, spend ceiling"
    )
    p.add_argument(
        "--redis",
        metavar="URL",
        help="redis://… holding the guards' counters, shared by every worker and machine",
    )
    p.set_defaults(handler=cmd_serve)
    return parser


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
    report = host.check_config(cid, config)
    warnings = [p.to_dict() for p in report.warnings]
    if args.json:  # a refusal goes out as every other --json failure does
        report.raise_for_errors()
        _print_json({"ok": True, "connectorId": cid, "problems": [], "warnings": warnings})
        return 0
    if report.ok:
        print(f"config is valid for {cid}")
        for problem in report.warnings:
            print(f"{PROG}: warning: {problem}", file=sys.stderr)
        return 0
    for problem in report.errors:
        print(f"  {problem}")
    for problem in report.warnings:
        print(f"  warning: {problem}")
    noun = "problem" if len(report.errors) == 1 else "problems"
    print(
        f"{PROG}: invalid_config: config has {len(report.errors)} {noun} (listed above)",
        file=sys.stderr,
    )
    return 1


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
    if args.json:
        _print_json({"ok": True, **result.to_dict()})
    else:
        # Only what this connector reported: a connector without provider detail prints no "None".
        facts = {"RequestId": result.request_id, **result.detail}
        shown = ", ".join(f"{name} {value}" for name, value in facts.items() if value is not None)
        print(f"sent {args.type} code {code} to {result.to}" + (f"; {shown}" if shown else ""))
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
    )


def cmd_demo(args: argparse.Namespace) -> int:
    """``demo``: the whole path, end to end, on this machine."""
    from .demo import run_demo

    return run_demo()


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
    guards = _guard_settings(service, args)
    with contextlib.ExitStack() as stack:
        if args.emulator:
            from .emulator import Emulator

            emulator = stack.enter_context(Emulator())
            source: service.ConfigSource = service.StaticConfigSource(
                host, args.connector, emulator.connector_config(), "emulator"
            )
            print(f"Tencent SMS emulator on {emulator.url} (outbox: {emulator.url}/)")
        else:
            try:
                source = service.FileConfigSource(host, args.connector, args.config)
            except UnreadableConfigError as exc:
                raise UsageError(str(exc)) from None
        active = source.current()
        assert active is not None
        for warning in active.warnings:
            print(f"{PROG}: warning: {warning}", file=sys.stderr)

        def ready(url: str) -> None:
            print(f"Serving {active.connector_id} for Logto's HTTP SMS connector", flush=True)
            print(f"  Endpoint:              {url}", flush=True)
            if made_token:
                # Made for this run only; the admin pastes it into Logto's form.
                print(f"  Authorization Header:  Bearer {token}", flush=True)

        options = service.ServeOptions(
            host=args.host,
            port=args.port,
            workers=args.workers,
            threads=args.threads,
            token=token,
            deadline=active.deadline,
            on_ready=ready,
            guards=guards,
            redis_url=args.redis,
        )
        return service.serve(host, source, options)


def _guard_settings(service: Any, args: argparse.Namespace) -> Any:
    """``serve``'s guards from ``--guards``, checked with ``--redis`` before anything starts."""
    if args.guards is None:
        if args.redis is not None:
            raise UsageError("--redis holds the guards' counters: give --guards FILE too")
        return None
    try:
        guards = service.GuardSettings.read(args.guards)
    except UnreadableConfigError as exc:
        raise UsageError(str(exc)) from None
    except service.GuardSettingsError as exc:
        raise UsageError(f"{args.guards}: {exc}") from None
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
