"""A config as an admin hands it over: a JSON file (or stdin), read with errors that say why."""

from __future__ import annotations

import json
import sys

from ._errors import ConnectorError, ErrorCode

#: The largest config a host reads (a Tencent config is a few KiB).
MAX_CONFIG_BYTES = 1024 * 1024


class UnreadableConfigError(OSError):
    """The config cannot be read at all (no such file, a directory, no permission)."""


def read_config_file(where: str) -> object:
    """The JSON document at path ``where`` (``-``: standard input), not yet validated.

    Raises :class:`UnreadableConfigError` when it cannot be read, and
    ``ConnectorError(invalid_config)`` when it is too large or not JSON.
    """
    try:
        if where == "-":
            raw = sys.stdin.buffer.read(MAX_CONFIG_BYTES + 1)
        else:
            with open(where, "rb") as handle:
                raw = handle.read(MAX_CONFIG_BYTES + 1)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise UnreadableConfigError(f"cannot read config {where!r}: {reason}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConnectorError(ErrorCode.INVALID_CONFIG, "config is larger than 1 MiB")
    try:
        return json.loads(raw.decode("utf-8-sig"))  # a BOM from a Windows editor is fine
    except UnicodeDecodeError:
        raise ConnectorError(ErrorCode.INVALID_CONFIG, "config is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ConnectorError(
            ErrorCode.INVALID_CONFIG,
            f"config is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise ConnectorError(ErrorCode.INVALID_CONFIG, "config JSON is nested too deeply") from None
    except ValueError:  # Python refuses to read integers of more than 4300 digits
        raise ConnectorError(
            ErrorCode.INVALID_CONFIG, "config has a number too long to read"
        ) from None
