"""StateStore: the SQLite file of `state.path` (or memory) holding the ETag cache and the change journal.

Every problem with the file — not a database, corrupt, locked by another process, read-only, written by a newer
syncer — is a ConfigError when the store is opened (at start-up), never a crash in the middle of a run. The file
carries its schema version (`PRAGMA user_version`). Credentials are never stored: ETags are keyed by a SHA-256 of
the credential.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from syncer.errors import ConfigError
from syncer.model import JSON, IntegrationReport

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1
JOURNAL_SHOWN = 20
JOURNAL_KEPT = 10_000  # rows kept; older ones are dropped as new ones come (the memory of a long-lived daemon)
DELIVERIES_KEPT = 10_000  # webhook delivery ids kept per source, for dedupe across restarts
_SCHEMA = """
CREATE TABLE IF NOT EXISTS etags (
    url TEXT NOT NULL, credential TEXT NOT NULL, etag TEXT NOT NULL, body BLOB NOT NULL, stored_at TEXT NOT NULL,
    PRIMARY KEY (url, credential)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, integration TEXT NOT NULL, trigger TEXT NOT NULL,
    run_id TEXT NOT NULL, added TEXT NOT NULL, removed TEXT NOT NULL, changed INTEGER NOT NULL, final INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, delivery TEXT NOT NULL, at TEXT NOT NULL,
    UNIQUE (source, delivery)
);
CREATE INDEX IF NOT EXISTS deliveries_by_source ON deliveries (source, id);
"""


@dataclass(frozen=True)
class JournalEntry:
    """One applied write: when, what started it, and what it added and removed."""

    at: str
    integration: str
    trigger: str
    run_id: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: int
    final: int

    @classmethod
    def of(cls, report: IntegrationReport) -> JournalEntry | None:
        """The journal row of a run's report, or None when the run wrote nothing."""
        plan = report.plan
        if not report.applied or plan is None:
            return None
        return cls(
            at=report.finished_at.astimezone(UTC).isoformat(),
            integration=str(report.integration),
            trigger=report.trigger,
            run_id=report.run_id,
            added=tuple(e.label() for e in plan.added),
            removed=tuple(e.label() for e in plan.removed),
            changed=len(plan.changed),
            final=report.final_count,
        )

    def to_json(self) -> dict[str, JSON]:
        """The row as `/status` shows it."""
        return {
            "at": self.at,
            "integration": self.integration,
            "trigger": self.trigger,
            "run_id": self.run_id,
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": self.changed,
            "final": self.final,
        }


class StateStore:
    """The ETag cache and the change journal, in the SQLite file `path` (None: in memory, for this process)."""

    def __init__(
        self, path: str | Path | None = None, *, kept: int = JOURNAL_KEPT, deliveries: int = DELIVERIES_KEPT
    ) -> None:
        self.path = None if path is None else Path(path)
        self._kept = kept
        self._deliveries = deliveries
        self._lock = threading.Lock()
        self._db = self._open()

    def __repr__(self) -> str:
        return f"StateStore(path={str(self.path) if self.path else ':memory:'!r})"

    def _open(self) -> sqlite3.Connection:
        where = "state.path (in memory)" if self.path is None else f"state.path {self.path}"
        if self.path is not None and self.path.exists() and not self.path.is_file():
            raise ConfigError(f"{where}: not a regular file")
        try:
            db = sqlite3.connect(
                ":memory:" if self.path is None else str(self.path), timeout=0.5, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ConfigError(f"{where}: cannot be opened ({exc})") from None
        try:
            version = int(db.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"{where}: written by a newer syncer (schema {version}, this one knows {SCHEMA_VERSION})"
                )
            db.executescript(f"{_SCHEMA}\nPRAGMA user_version = {SCHEMA_VERSION};")
            with db:  # a real write: a read-only or locked file fails here, at start-up, not in the middle of a run
                db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_at', ?)", (datetime.now(UTC).isoformat(),)
                )
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check: {check[0] if check else 'no answer'}")
        except sqlite3.OperationalError as exc:
            db.close()
            raise ConfigError(f"{where}: {_reason(exc)}") from None
        except sqlite3.DatabaseError as exc:
            db.close()
            raise ConfigError(f"{where}: not a syncer state file, or corrupt ({exc})") from None
        except ConfigError:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._db.close()

    def etag(self, url: str, credential: str) -> tuple[str, bytes] | None:
        """The cached (ETag, body) of a page fetched with this credential, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT etag, body FROM etags WHERE url = ? AND credential = ?", (url, _digest(credential))
            ).fetchone()
        return None if row is None else (str(row[0]), bytes(row[1]))

    def remember(self, url: str, credential: str, etag: str, body: bytes) -> None:
        """Cache a page's ETag and body for this credential."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO etags (url, credential, etag, body, stored_at) VALUES (?, ?, ?, ?, ?)",
                (url, _digest(credential), etag, body, datetime.now(UTC).isoformat()),
            )

    def record(self, report: IntegrationReport) -> JournalEntry | None:
        """Append the run's applied write to the journal; None (nothing appended) when it wrote nothing."""
        entry = JournalEntry.of(report)
        if entry is None:
            return None
        try:
            self._append(entry)
        except sqlite3.Error as exc:  # a full disk must not fail a run that has written Datadog already
            log.warning("state: the journal row of run %s was not saved: %s", entry.run_id, exc)
            return None
        return entry

    def _append(self, entry: JournalEntry) -> None:
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO journal (at, integration, trigger, run_id, added, removed, changed, final)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.at,
                    entry.integration,
                    entry.trigger,
                    entry.run_id,
                    json.dumps(entry.added),
                    json.dumps(entry.removed),
                    entry.changed,
                    entry.final,
                ),
            )
            self._db.execute("DELETE FROM journal WHERE id <= ?", ((cursor.lastrowid or 0) - self._kept,))

    def first_delivery(self, source: str, delivery: str) -> bool:
        """Remember a webhook delivery id of `source`; False when it was seen before (atomic: of two copies at once,
        one is first). The last `deliveries` ids per source are kept, across restarts with a `state.path` file.
        A file that cannot be written takes the delivery for a new one: a redelivery costs a run, never a change."""
        try:
            with self._lock, self._db:
                cursor = self._db.execute(
                    "INSERT OR IGNORE INTO deliveries (source, delivery, at) VALUES (?, ?, ?)",
                    (source, delivery, datetime.now(UTC).isoformat()),
                )
                if cursor.rowcount == 0:
                    return False
                self._db.execute(  # older than the source's `deliveries`-th newest: forgotten
                    "DELETE FROM deliveries WHERE source = ? AND id < (SELECT id FROM deliveries WHERE source = ?"
                    " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                    (source, source, self._deliveries - 1),
                )
        except sqlite3.Error as exc:
            log.warning("state: webhook delivery %s of %s was not remembered: %s", delivery, source, exc)
        return True

    def forget_delivery(self, source: str, delivery: str) -> None:
        """Take a delivery id back (it was refused, and its sender may retry it)."""
        try:
            with self._lock, self._db:
                self._db.execute("DELETE FROM deliveries WHERE source = ? AND delivery = ?", (source, delivery))
        except sqlite3.Error as exc:
            log.warning("state: webhook delivery %s of %s was not forgotten: %s", delivery, source, exc)

    def journal(self, limit: int = JOURNAL_SHOWN) -> list[JournalEntry]:
        """The last `limit` applied writes, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, integration, trigger, run_id, added, removed, changed, final FROM journal"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            JournalEntry(
                at, integration, trigger, run_id, tuple(json.loads(added)), tuple(json.loads(removed)), changed, final
            )
            for at, integration, trigger, run_id, added, removed, changed, final in rows
        ]


def _digest(credential: str) -> str:
    return hashlib.sha256(credential.encode()).hexdigest()


def _reason(exc: sqlite3.OperationalError) -> str:
    text = str(exc)
    if "locked" in text:
        return "locked by another process (another syncer using the same file?)"
    if "readonly" in text or "read-only" in text:
        return "read-only: syncer must be able to write it (check the volume and its permissions)"
    if "unable to open" in text:
        return "cannot be opened: check that its folder exists and is writable"
    return text
