"""Key rotation: seal every version under a new key without a moment where a key is lost."""

from __future__ import annotations

from dataclasses import dataclass

from ._keys import KEY_ENV, new_key, read_key_file, write_key_file
from ._types import ConfigStore, StoreError


@dataclass(frozen=True)
class Rotation:
    """What a rotation did: the key id now sealing, the ids retired, versions re-sealed."""

    key_id: str
    retired: list[str]
    versions: int
    source: str


def rotate_key(store: ConfigStore) -> Rotation:
    """Seal every version of ``store`` under a new key and retire the old ones.

    With a key file: a fresh key is written in front of the old ones (so every process reading
    the file can open both), every version is sealed again in one transaction, then the file
    keeps only the new key.  Killed midway, the file still holds every key a version needs.
    With ``LOGTO_CONNECTOR_KEY``: give the new key first (``NEW,OLD``); every version is sealed
    under NEW, and OLD can then be dropped from the variable.
    """
    ring = store.keys
    old_ids = ring.ids
    if ring.path is None:
        if len(old_ids) < 2:
            raise StoreError(
                f"{ring.source} names one key; to rotate, set {KEY_ENV}=NEW,OLD "
                "(the new key first) and run rotate-key again"
            )
        versions = store.rekey()
        return Rotation(ring.current_id, old_ids[1:], versions, ring.source)
    path = ring.path
    fresh = new_key()
    write_key_file(path, [fresh, *read_key_file(path).keys()], replace=True)
    store.use_keys(read_key_file(path))
    versions = store.rekey()
    write_key_file(path, [fresh], replace=True)
    store.use_keys(read_key_file(path))
    return Rotation(store.keys.current_id, old_ids, versions, ring.source)
