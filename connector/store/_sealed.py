"""What every store backend does alike: a config made ready to seal, a sealed row opened."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, suppress
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._keys import KeyRing, context_of, read_key_file
from ._types import ConfigVersion, StoredReceipt, StoreError, check_name

if TYPE_CHECKING:
    from ..kit import DeliveryReceipt

#: The receipts table's columns, in the order of :func:`receipt_row` and :func:`stored_receipt`.
RECEIPT_COLUMNS = (
    "serial_no, phone_key, connector_id, phone_masked, status, code, description, "
    "received_at, stored_at"
)


def receipt_row(keys: KeyRing, receipt: DeliveryReceipt, stored_at: object) -> tuple[Any, ...]:
    """A receipt as a row: the number only masked and as a keyed digest (what makes a repeated
    report the same row; the key is derived from the sealing key, never stored beside it)."""
    return (
        receipt.serial_no,
        keys.number_digest(receipt.phone),
        receipt.connector_id,
        receipt.masked_phone,
        receipt.status,
        receipt.code,
        receipt.description,
        receipt.received_at,
        stored_at,
    )


def stored_receipt(row: tuple[Any, ...]) -> StoredReceipt:
    """A row of RECEIPT_COLUMNS read back."""
    stored_at = row[8] if isinstance(row[8], datetime) else datetime.fromisoformat(str(row[8]))
    return StoredReceipt(
        serial_no=str(row[0]),
        connector_id=str(row[2]),
        phone=str(row[3]),
        status=str(row[4]),
        code=str(row[5]),
        description=str(row[6]),
        received_at=float(row[7]) if row[7] is not None else None,
        stored_at=stored_at,
    )


def document_to_save(name: str, connector_id: object, config: object) -> tuple[str, bytes]:
    """The checked name and the config as UTF-8 JSON; StoreError saying what is wrong."""
    name = check_name(name)
    if not isinstance(connector_id, str) or not connector_id:
        raise StoreError("a connector id is needed to save a config")
    if not isinstance(config, Mapping):
        raise StoreError("a config is a JSON object")
    try:
        return name, json.dumps(config, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        raise StoreError("the config cannot be written as JSON") from None


def open_row(
    keys: KeyRing,
    row: tuple[Any, ...],
    saved_at: datetime,
) -> tuple[ConfigVersion, KeyRing]:
    """A row ``(name, version, connector_id, saved_at, note, key_id, sealed)`` decrypted, and
    the ring to keep using (read again from its file when a rotation by another process put a
    key in it that this ring does not hold)."""
    name, version, connector_id = str(row[0]), int(row[1]), str(row[2])
    kid, sealed = str(row[5]), bytes(row[6])
    what = f"config {name!r} version {version}"
    if not keys.holds(kid) and keys.path is not None:
        with suppress(StoreError):
            keys = read_key_file(keys.path)
    plain = keys.open(kid, sealed, context_of(name, version, connector_id), what)
    try:
        config = json.loads(plain)
    except ValueError:
        raise StoreError(f"{what} is not a JSON document") from None
    found = ConfigVersion(
        name=name,
        version=version,
        connector_id=connector_id,
        config=config,
        saved_at=saved_at,
        note=str(row[4]),
    )
    return found, keys


def reseal_row(keys: KeyRing, row: tuple[Any, ...]) -> tuple[str, bytes]:
    """A row's document sealed again under the ring's first key: ``(key_id, sealed)``."""
    name, version, connector_id = str(row[0]), int(row[1]), str(row[2])
    context = context_of(name, version, connector_id)
    plain = keys.open(str(row[5]), bytes(row[6]), context, f"config {name!r} version {version}")
    return keys.seal(plain, context)


def missing_keys(keys: KeyRing, used: set[str], where: str) -> None:
    """StoreError when versions in ``where`` are sealed with keys the ring does not hold."""
    missing = sorted(kid for kid in used if not keys.holds(kid))
    if missing:
        raise StoreError(
            f"{where} holds configs sealed with key {', '.join(missing)}, which "
            f"{keys.source} does not hold (it holds {', '.join(keys.ids)}); "
            "give the key the store was saved with"
        )


class SealedStore:
    """What both backends share above their SQL: restore, receipts, and the key ring in use.

    A backend sets ``_keys``, ``_lock`` and ``_INSERT_RECEIPT`` (its INSERT of one
    :data:`RECEIPT_COLUMNS` row that does nothing when the row is there) and gives ``get``,
    ``save``, ``_write`` (a connection inside one transaction) and ``_stored_at``.
    """

    _keys: KeyRing
    _lock: threading.Lock
    _INSERT_RECEIPT: str

    def _write(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def _stored_at(self) -> object:
        """Now, as the backend keeps a time."""
        raise NotImplementedError

    def add_receipts(self, receipts: Iterable[DeliveryReceipt]) -> list[DeliveryReceipt]:
        """Keep receipts (one transaction); return those not kept before.  A repeat of a
        receipt (same serial no and number) is ignored, so a provider's retries are harmless,
        also when two gateways receive the same report at once; a receipt for a serial no this
        store never saw is kept too."""
        stored_at = self._stored_at()
        keys = self._sealing_keys()
        added: list[DeliveryReceipt] = []
        with self._write() as db:
            for r in receipts:
                cursor = db.execute(self._INSERT_RECEIPT, receipt_row(keys, r, stored_at))
                if cursor.rowcount == 1:
                    added.append(r)
        return added

    def get(self, name: str, version: int) -> ConfigVersion | None:
        """Version ``version`` of ``name``, or None."""
        raise NotImplementedError

    def save(
        self, name: str, connector_id: str, config: Mapping[str, Any], note: str = ""
    ) -> ConfigVersion:
        """Save the next version of ``name``."""
        raise NotImplementedError

    def restore(self, name: str, version: int, note: str = "") -> ConfigVersion:
        """Save a copy of version ``version`` as the newest version."""
        old = self.get(name, version)
        if old is None:
            raise StoreError(f"config {name!r} has no version {version}")
        return self.save(name, old.connector_id, old.config, note or f"restored version {version}")

    def _sealing_keys(self) -> KeyRing:
        """The ring to seal with now: its key file read again when it changed."""
        fresh = self._keys.fresh()
        if fresh is not self._keys:
            self.use_keys(fresh)
        return fresh

    def use_keys(self, keys: KeyRing) -> None:
        """Seal and open with ``keys`` from now on (a rotation's new ring)."""
        with self._lock:
            self._keys = keys

    @property
    def keys(self) -> KeyRing:
        """The key ring in use."""
        return self._keys
