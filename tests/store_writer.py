"""A process that saves versions into a store in a loop, for the concurrency and crash tests.

``python -m tests.store_writer PATH WRITER COUNT`` (COUNT 0: until killed).  The key comes
from ``LOGTO_CONNECTOR_KEY``.  Each save prints its sequence number once it is committed.
"""

from __future__ import annotations

import sys
from typing import Any

from connector.store import open_store

SECRET = "s3cr3t-Value-that-must-never-touch-disk"
CONNECTOR = "tencent-short-message-service"


def document(writer: str, seq: int) -> dict[str, Any]:
    """What writer ``writer`` saves as its ``seq``-th version: sizes vary so that pages split."""
    return {
        "accessKeySecret": SECRET,
        "writer": writer,
        "seq": seq,
        "padding": "x" * (seq % 40 * 250),
    }


def note_of(writer: str, seq: int) -> str:
    """The note saved with that version, which must match its document."""
    return f"{writer}:{seq}"


def main(argv: list[str]) -> int:
    """Save ``COUNT`` versions (or forever)."""
    path, writer, count = argv[0], argv[1], int(argv[2])
    store = open_store(path)
    seq = 0
    while count == 0 or seq < count:
        seq += 1
        store.save("default", CONNECTOR, document(writer, seq), note_of(writer, seq))
        print(seq, flush=True)
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
