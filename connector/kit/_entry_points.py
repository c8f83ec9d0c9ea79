"""Find the installed connectors: the ``logto.connectors`` entry points, read cheaply.

``importlib.metadata`` answers this, but importing it also imports the ``email`` package,
which costs more than everything else ``logto-connector list`` does.  Entry points are plain
``entry_points.txt`` files in the ``*.dist-info`` (or ``*.egg-info``) folders along
``sys.path``, so this module reads them directly, with the same rules: folders in
``sys.path`` order, the first distribution of a name wins.  Anything it cannot read that way
(a zip file on ``sys.path``) sends the whole lookup to ``importlib.metadata``.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

_INFO_DIR = re.compile(r"(?P<name>[^-]+)(?:-.*)?\.(?:dist|egg)-info")


@dataclass(frozen=True)
class EntryPoint:
    """One entry point: its name and ``module:attribute`` value."""

    name: str
    value: str

    def load(self) -> object:
        """Import the module and return the attribute the value names."""
        module_name, _, attrs = self.value.partition(":")
        target: object = importlib.import_module(module_name.strip())
        for attr in filter(None, attrs.split("[")[0].strip().split(".")):
            target = getattr(target, attr)
        return target


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` of every installed distribution."""
    try:
        return list(_scan(group))
    except _Unreadable:
        from importlib import metadata

        return [EntryPoint(ep.name, ep.value) for ep in metadata.entry_points(group=group)]


class _Unreadable(Exception):
    """A ``sys.path`` entry this reader does not handle; ask importlib.metadata."""


def _scan(group: str) -> Iterator[EntryPoint]:
    seen: set[str] = set()
    for entry in sys.path:
        folder = entry or os.getcwd()
        if os.path.isfile(folder):
            raise _Unreadable(folder)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for child in names:
            match = _INFO_DIR.fullmatch(child)
            if not match:
                continue
            dist = re.sub(r"[-_.]+", "_", match["name"]).lower()
            if dist in seen:
                continue
            seen.add(dist)
            yield from _read(os.path.join(folder, child, "entry_points.txt"), group)


def _read(path: str, group: str) -> Iterator[EntryPoint]:
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return
    section = None
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
        elif section == group and "=" in line:
            name, _, value = line.partition("=")
            yield EntryPoint(name.strip(), value.strip())
