"""The on-disk index cache: one SQLite file under .git/surgeon/locate/, keyed by git blob id.

A record depends only on a file's content and language, so the key is (blob id, language): a
second query re-parses only blobs it has not seen (an edited file has a new blob id), and a branch
switch back and forth costs nothing. A small stat table remembers the blob ids of edited and
untracked files so they are hashed once per change, not on every query.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path

from surgeon.locate.index import INDEX_VERSION, FileRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records (blob TEXT, language TEXT, skip TEXT, data BLOB, PRIMARY KEY (blob, language));
CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER, blob TEXT);
"""


class IndexCache:
    """Records by (blob, language). Safe to share between processes (SQLite locking, WAL)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        if row is None or row[0] != str(INDEX_VERSION):
            self.db.executescript("DELETE FROM records; DELETE FROM stats;")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> IndexCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def known(self) -> dict[tuple[str, str], str | None]:
        """(blob, language) -> skip reason (None when indexed) for every cached record."""
        return {(blob, language): skip for blob, language, skip in self.db.execute("SELECT blob, language, skip FROM records")}

    def get(self, keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], FileRecord]:
        wanted = list({(blob, language or "") for blob, language in keys})
        out: dict[tuple[str, str], FileRecord] = {}
        for i in range(0, len(wanted), 400):
            chunk = wanted[i:i + 400]
            blobs = [b for b, _ in chunk]
            marks = ",".join("?" * len(blobs))
            rows = self.db.execute(f"SELECT blob, language, data FROM records WHERE blob IN ({marks})", blobs)
            want = set(chunk)
            for blob, language, data in rows:
                if (blob, language) in want:
                    out[(blob, language)] = FileRecord.from_json(json.loads(zlib.decompress(data)))
        return out

    def put_many(self, items: Iterable[tuple[str, str | None, FileRecord]]) -> None:
        rows = [
            (blob, language or "", record.skip, zlib.compress(json.dumps(record.to_json(), separators=(",", ":")).encode(), 1))
            for blob, language, record in items
        ]
        if rows:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", rows)

    def prune(self, keep: set[tuple[str, str]], keep_paths: set[str]) -> int:
        """Forget records of blobs no file has any more, and stats of paths that are gone or
        clean again; returns how many records were removed."""
        stale = [key for key in self.known() if key not in keep]
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM records WHERE blob=? AND language=?", stale)
            paths = [p for (p,) in self.db.execute("SELECT path FROM stats") if p not in keep_paths]
            self.db.executemany("DELETE FROM stats WHERE path=?", [(p,) for p in paths])
        return len(stale)

    def get_meta(self, key: str):
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def stat_lookup(self, path: str, size: int, mtime_ns: int, inode: int) -> str | None:
        row = self.db.execute("SELECT size, mtime_ns, inode, blob FROM stats WHERE path=?", (path,)).fetchone()
        if row and row[0] == size and row[1] == mtime_ns and row[2] == inode:
            return row[3]
        return None

    def stat_store(self, path: str, size: int, mtime_ns: int, inode: int, blob: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO stats VALUES (?, ?, ?, ?, ?)", (path, size, mtime_ns, inode, blob))
