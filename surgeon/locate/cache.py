"""The on-disk index cache: one SQLite file under .git/surgeon/locate/, keyed by git blob id.

A record depends only on a file's content and language, so the key is (blob id, language): a
second query re-parses only blobs it has not seen (an edited file has a new blob id), and a branch
switch back and forth costs no parsing. The full-text index holds the rows of the current tree's
blobs only (the `active` set): BM25's statistics and its best rows are then those of the files a
query can return, whatever versions the cache has seen. A small stat table remembers the blob ids
of edited and untracked files so they are hashed once per change, not on every query.

The cache is only a cache: a file that cannot be read (garbage, truncated, another layout,
read-only, locked for too long) raises `CacheError`, and `open_cache` / `recover` replace it with a
rebuilt one, or with one in memory when the folder cannot be written, saying so in one note.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from surgeon.git.files import exclusive_lock
from surgeon.locate.chunks import Chunk, document_words
from surgeon.locate.index import INDEX_VERSION, FileRecord

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS records (blob TEXT, language TEXT, skip TEXT, data BLOB, PRIMARY KEY (blob, language));
CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER, blob TEXT);
"""
# Full-text chunks (chunks.py) for BM25: one row per chunk of an indexed blob, and one document
# per blob (its defined names and all its words) for ranking whole files. Python's sqlite3 nearly
# always has FTS5; without it, locate ranks without BM25. The FTS5 tables are contentless with
# positions (detail=full): bm25() then reads term counts from the index instead of tokenizing
# stored text at query time (a long issue's query took 0.2 s instead of 0.04 s on sympy, at three
# times the size). The words are kept compressed beside the spans, because deleting a row from a
# contentless table needs its original text; they also let a blob's rows come back into the index,
# unparsed, when it is current again. `active` lists the blobs whose rows are in the index, with
# how many rows each has there.
CHUNKS_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunk_spans (id INTEGER PRIMARY KEY, blob TEXT, language TEXT, start INTEGER,
    end INTEGER, symbol TEXT, kind TEXT, words BLOB);
CREATE INDEX IF NOT EXISTS chunk_spans_blob ON chunk_spans (blob, language);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks USING fts5(name, body, content='', detail=full);
CREATE TABLE IF NOT EXISTS document_spans (id INTEGER PRIMARY KEY, blob TEXT, language TEXT, words BLOB);
CREATE INDEX IF NOT EXISTS document_spans_blob ON document_spans (blob, language);
CREATE VIRTUAL TABLE IF NOT EXISTS documents USING fts5(defined, body, content='', detail=full);
CREATE TABLE IF NOT EXISTS active (blob TEXT, language TEXT, chunks INTEGER, documents INTEGER,
    PRIMARY KEY (blob, language));
"""
FULL_TEXT_TABLES = ("chunks", "chunk_spans", "documents", "document_spans", "active")
SPAN_TABLES = (("chunk_spans", "chunks", "name, body"), ("document_spans", "documents", "defined, body"))
NAME_WEIGHT, BODY_WEIGHT = 3.0, 1.0  # a word in the definition's name counts three times
DEFINED_WEIGHT = 3.0  # a name the file defines counts three times a word of its text
COLUMNS = {
    "meta": ("key", "value"),
    "records": ("blob", "language", "skip", "data"),
    "stats": ("path", "size", "mtime_ns", "inode", "blob"),
}
BUSY_TIMEOUT = 30.0  # seconds to wait for another process's lock before giving up on the file
SIDE_FILES = ("-wal", "-shm", "-journal")

Note = Callable[[str], None]


class CacheError(Exception):
    """The cache file cannot be used. `reason` is one line; `locked` when another process holds it."""

    def __init__(self, reason: str, *, locked: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.locked = locked


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


def _is_locked(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


@contextmanager
def _guard() -> Iterator[None]:
    """SQLite and decoding failures of the cache file as CacheError (a programming error stays one)."""
    try:
        yield
    except sqlite3.ProgrammingError:
        raise
    except sqlite3.DatabaseError as exc:
        raise CacheError(_one_line(exc), locked=_is_locked(exc)) from exc


class IndexCache:
    """Records by (blob, language). Safe to share between processes (SQLite locking, WAL).
    `path` None keeps the cache in memory, for this process only."""

    def __init__(self, path: Path | None, *, timeout: float | None = None) -> None:
        self.path = path
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CacheError(f"cannot create its folder: {_one_line(exc)}") from exc
        self.wait = BUSY_TIMEOUT if timeout is None else timeout
        self.generation: str | None = None
        with _guard():
            self.db = sqlite3.connect(":memory:" if path is None else path, timeout=self.wait, isolation_level=None,
                                      check_same_thread=False)  # one thread at a time: see engine._rank
        try:
            self._prepare()
        except BaseException:
            self.db.close()
            raise

    @property
    def in_memory(self) -> bool:
        return self.path is None

    def _prepare(self) -> None:
        """Create or check the tables in one write transaction: processes that open a new (or
        outdated) cache at once must not see each other's half-made tables, nor drop the
        full-text tables another has just filled."""
        with _guard():
            if self.path is not None:
                self._switch_to_wal()
                self.db.execute("PRAGMA synchronous=NORMAL")
                if self._up_to_date():  # the usual case: no write lock, which another process may hold to rank
                    self.generation = self._generation()
                    return
            self.db.execute("BEGIN IMMEDIATE")
        try:
            with _guard():
                self._create_tables()
                self.db.commit()
                self.generation = self._generation()
        except BaseException:
            if self.db.in_transaction:
                self.db.rollback()
            raise

    def _generation(self) -> str | None:
        """Which making of the cache file this is: a new one gets a new token (caches made before
        the token have none)."""
        row = self.db.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return str(row[0]) if row else None

    def _up_to_date(self) -> bool:
        """Whether every table is there with its columns and the version is this one (read only;
        `_create_tables` checks again under the write lock when not)."""
        tables = {name for (name,) in self.db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not set(COLUMNS) <= tables or any(self._columns(t) != columns for t, columns in COLUMNS.items()):
            return False
        if not self._version_current():
            return False
        self.full_text = set(FULL_TEXT_TABLES) <= tables
        return True

    def _columns(self, table: str) -> tuple[str, ...]:
        return tuple(row[1] for row in self.db.execute(f"PRAGMA table_info({table})"))

    def _version_current(self) -> bool:
        row = self.db.execute("SELECT value FROM meta WHERE key='version'").fetchone()
        return row is not None and row[0] == str(INDEX_VERSION)

    def _switch_to_wal(self) -> None:
        """SQLite answers a journal-mode change that races another connection with "database is
        locked" at once, without waiting: wait here, as long as for any other lock."""
        deadline = time.monotonic() + self.wait
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def _create_tables(self) -> None:
        _run_script(self.db, SCHEMA)
        self.db.execute("INSERT OR IGNORE INTO meta VALUES ('generation', ?)", (uuid.uuid4().hex,))
        try:
            _run_script(self.db, CHUNKS_SCHEMA)
            self.full_text = True
        except sqlite3.OperationalError:  # this SQLite has no FTS5
            self.full_text = False
        for table, columns in COLUMNS.items():
            found = self._columns(table)
            if found != columns:
                raise CacheError(f"its table {table} has columns {', '.join(found) or 'none'}, "
                                 f"not {', '.join(columns)}")
        if not self._version_current():
            _run_script(self.db, "DELETE FROM records; DELETE FROM stats;")
            if self.full_text:  # the chunk tables' layout may have changed too
                _run_script(self.db, "".join(f"DROP TABLE IF EXISTS {t};" for t in FULL_TEXT_TABLES) + CHUNKS_SCHEMA)
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(INDEX_VERSION),))

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> IndexCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def known(self) -> dict[tuple[str, str], str | None]:
        """(blob, language) -> skip reason (None when indexed) for every cached record."""
        with _guard():
            return {(blob, language): skip
                    for blob, language, skip in self.db.execute("SELECT blob, language, skip FROM records")}

    def get(self, keys: Iterable[tuple[str, str | None]]) -> dict[tuple[str, str], FileRecord]:
        wanted = list({(blob, language or "") for blob, language in keys})
        out: dict[tuple[str, str], FileRecord] = {}
        with _guard():
            for i in range(0, len(wanted), 400):
                chunk = wanted[i:i + 400]
                blobs = [b for b, _ in chunk]
                marks = ",".join("?" * len(blobs))
                rows = self.db.execute(f"SELECT blob, language, data FROM records WHERE blob IN ({marks})", blobs)
                want = set(chunk)
                for blob, language, data in rows:
                    if (blob, language) in want:
                        out[(blob, language)] = _decode(data)
        return out

    def put_many(self, items: Iterable[tuple[str, str | None, FileRecord, Sequence[Chunk]]]) -> None:
        """Store records of blobs the cache has not seen, with their chunks."""
        items = list({(blob, language or ""): (blob, language, record, chunks if record.skip is None else ())
                      for blob, language, record, chunks in items}.values())  # one row per key, the last given
        rows = [(blob, language or "", record.skip,
                 zlib.compress(json.dumps(record.to_json(), separators=(",", ":")).encode(), 1))
                for blob, language, record, _ in items]
        if not rows:
            return
        with _guard(), self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", rows)
            if self.full_text:
                self._forget_chunks([r[:2] for r in rows])
                (last,) = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM chunk_spans").fetchone()
                (last_document,) = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM document_spans").fetchone()
                spans, texts, documents, document_texts = [], [], [], []
                for blob, language, record, chunks in items:
                    for c in chunks:
                        last += 1
                        spans.append((last, blob, language or "", c.start, c.end, c.symbol, c.kind, _pack(c.name, c.body)))
                        texts.append((last, c.name, c.body))
                    if record.skip is None:
                        last_document += 1
                        defined, body = document_words(record.definitions, chunks)
                        documents.append((last_document, blob, language or "", _pack(defined, body)))
                        document_texts.append((last_document, defined, body))
                self.db.executemany("INSERT INTO chunk_spans VALUES (?, ?, ?, ?, ?, ?, ?, ?)", spans)
                self.db.executemany("INSERT INTO chunks (rowid, name, body) VALUES (?, ?, ?)", texts)
                self.db.executemany("INSERT INTO document_spans VALUES (?, ?, ?, ?)", documents)
                self.db.executemany("INSERT INTO documents (rowid, defined, body) VALUES (?, ?, ?)", document_texts)
                self.db.executemany("INSERT INTO active VALUES (?, ?, ?, ?)",
                                    [(blob, language or "", len(chunks), 1)
                                     for blob, language, record, chunks in items if record.skip is None])

    def _forget_chunks(self, keys: Sequence[tuple[str, str]]) -> None:
        """Remove the spans of these blobs, and their full-text rows where they are active."""
        for blob, language in keys:
            self._deactivate(blob, language)
            for spans, _, _ in SPAN_TABLES:
                self.db.execute(f"DELETE FROM {spans} WHERE blob=? AND language=?", (blob, language))

    def _deactivate(self, blob: str, language: str) -> None:
        """Take this blob's rows out of the full-text index (a contentless table deletes a row by its text)."""
        if self.db.execute("DELETE FROM active WHERE blob=? AND language=?", (blob, language)).rowcount:
            self._index_rows(blob, language, delete=True)

    def _index_rows(self, blob: str, language: str, *, delete: bool = False) -> list[int]:
        """Put this blob's rows into the full-text tables from their stored words (or, with
        `delete`, take them out); how many rows each table got."""
        counts = []
        for spans, table, columns in SPAN_TABLES:
            rows = self.db.execute(f"SELECT id, words FROM {spans} WHERE blob=? AND language=?",
                                   (blob, language)).fetchall()
            statement = (f"INSERT INTO {table} ({table}, rowid, {columns}) VALUES ('delete', ?, ?, ?)" if delete
                         else f"INSERT INTO {table} (rowid, {columns}) VALUES (?, ?, ?)")
            self.db.executemany(statement, [(row_id, *_unpack(words)) for row_id, words in rows])
            counts.append(len(rows))
        return counts

    def activate(self, current: set[tuple[str, str]]) -> tuple[int, int]:
        """Make the full-text index hold the rows of exactly these cached blobs (the current
        tree's): rows of others leave it, rows of these come back from their stored words.
        Returns how many blobs (came in, went out)."""
        with self.activated(current) as moved:
            return moved

    @contextmanager
    def activated(self, current: set[tuple[str, str]]) -> Iterator[tuple[int, int]]:
        """`activate`, holding the cache's write lock until the block ends: worktrees share one
        cache, and another checkout's process must not swap its own blobs in while this one's
        searches run. Yields how many blobs (came in, went out)."""
        if not self.full_text:
            yield 0, 0
            return
        with _guard():
            self.db.execute("BEGIN IMMEDIATE")
        try:
            with _guard():
                have = set(self.db.execute("SELECT blob, language FROM active"))
                arriving, leaving = current - have, have - current
                for blob, language in sorted(leaving):
                    self._deactivate(blob, language)
                for blob, language in sorted(arriving):
                    counts = self._index_rows(blob, language)
                    self.db.execute("INSERT INTO active VALUES (?, ?, ?, ?)", (blob, language, *counts))
            yield len(arriving), len(leaving)
        except BaseException:
            if self.db.in_transaction:
                self.db.rollback()
            raise
        with _guard():
            self.db.commit()

    def search(self, expression: str, limit: int) -> list[tuple[str, str, int, int, str | None, str | None, float]]:
        """The best `limit` chunks for an FTS5 MATCH `expression`, best first:
        (blob, language, start, end, symbol, kind, score), the score positive, larger better."""
        if not self.full_text:
            return []
        with _guard():
            rows = self.db.execute(
                "SELECT s.blob, s.language, s.start, s.end, s.symbol, s.kind, f.score FROM "
                "(SELECT rowid, bm25(chunks, ?, ?) AS score FROM chunks WHERE chunks MATCH ? ORDER BY score LIMIT ?) f "
                "JOIN chunk_spans s ON s.id = f.rowid ORDER BY f.score",
                (NAME_WEIGHT, BODY_WEIGHT, expression, limit)).fetchall()
        return [(blob, language, start, end, symbol, kind, -float(score))
                for blob, language, start, end, symbol, kind, score in rows]

    def search_documents(self, expression: str, limit: int) -> list[tuple[str, str, float]]:
        """The best `limit` whole files for an FTS5 MATCH `expression` over their defined names
        and their words, best first: (blob, language, score), the score positive, larger better."""
        if not self.full_text:
            return []
        with _guard():
            rows = self.db.execute(
                "SELECT s.blob, s.language, f.score FROM "
                "(SELECT rowid, bm25(documents, ?, ?) AS score FROM documents WHERE documents MATCH ? "
                "ORDER BY score LIMIT ?) f JOIN document_spans s ON s.id = f.rowid ORDER BY f.score",
                (DEFINED_WEIGHT, BODY_WEIGHT, expression, limit)).fetchall()
        return [(blob, language, -float(score)) for blob, language, score in rows]

    def frequencies(self, table: Literal["chunks", "documents"], words: Iterable[str]) -> tuple[int, dict[str, int]]:
        """How many rows a full-text table holds (chunks, or whole-file documents), and how many of
        them hold each word."""
        if not self.full_text:
            return 0, {}
        with _guard():
            total = self.db.execute(f"SELECT COALESCE(SUM({table}), 0) FROM active").fetchone()[0]
            counts = {word: self.db.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH ?",
                                            ('"' + word.replace('"', '""') + '"',)).fetchone()[0]
                      for word in dict.fromkeys(words)}
        return int(total), counts

    def prune(self, keep: set[tuple[str, str]], keep_paths: set[str]) -> int:
        """Forget records of blobs no file has any more, and stats of paths that are gone or
        clean again; returns how many records were removed."""
        stale = [key for key in self.known() if key not in keep]
        with _guard(), self.db:
            self.db.execute("BEGIN")
            self.db.executemany("DELETE FROM records WHERE blob=? AND language=?", stale)
            if self.full_text:
                self._forget_chunks(stale)
            paths = [p for (p,) in self.db.execute("SELECT path FROM stats") if p not in keep_paths]
            self.db.executemany("DELETE FROM stats WHERE path=?", [(p,) for p in paths])
        return len(stale)

    def get_meta(self, key: str) -> object:
        """The JSON value stored under `key`, or None."""
        with _guard():
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        if not row:
            return None
        try:
            return json.loads(row[0])
        except (TypeError, ValueError) as exc:
            raise CacheError(f"its {key} entry is not JSON") from exc

    def set_meta(self, key: str, value: object) -> None:
        with _guard():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def stat_lookup(self, path: str, size: int, mtime_ns: int, inode: int) -> str | None:
        with _guard():
            row = self.db.execute("SELECT size, mtime_ns, inode, blob FROM stats WHERE path=?", (path,)).fetchone()
        if row and row[0] == size and row[1] == mtime_ns and row[2] == inode and isinstance(row[3], str):
            return row[3]
        return None

    def stat_store(self, path: str, size: int, mtime_ns: int, inode: int, blob: str) -> None:
        with _guard():
            self.db.execute("INSERT OR REPLACE INTO stats VALUES (?, ?, ?, ?, ?)", (path, size, mtime_ns, inode, blob))


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """The statements of `script` one by one, inside the open transaction (executescript would
    commit it first). The scripts here have no semicolon inside a statement."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _pack(*columns: str) -> bytes:
    return zlib.compress("\0".join(columns).encode(), 1)


def _unpack(data: object) -> list[str]:
    try:
        return zlib.decompress(data).decode().split("\0")  # type: ignore[arg-type]
    except (zlib.error, TypeError, UnicodeDecodeError) as exc:  # a damaged row: the cache is rebuilt
        raise CacheError(f"the words of a full-text row cannot be decoded: {_one_line(exc)}") from exc


def _decode(data: object) -> FileRecord:
    try:
        # a value that is not bytes (a damaged row) raises TypeError, reported as a CacheError below
        return FileRecord.from_json(json.loads(zlib.decompress(data)))  # type: ignore[arg-type]
    except (zlib.error, TypeError, ValueError) as exc:
        raise CacheError(f"a record in it cannot be decoded: {_one_line(exc)}") from exc


def open_cache(path: Path, note: Note, *, timeout: float | None = None) -> IndexCache:
    """The cache at `path`; when it cannot be used, a rebuilt one (or one in memory), with a note."""
    existed = os.path.lexists(path)
    try:
        return IndexCache(path, timeout=timeout)
    except CacheError as exc:
        if not existed and not exc.locked:
            note(f"the locate cache cannot be created at {path} ({exc.reason}); running without a cache (in memory)")
            return IndexCache(None)
        return recover(path, exc, note, timeout=timeout)


def recover(path: Path, error: CacheError, note: Note, *, timeout: float | None = None,
            failed: str | None = None) -> IndexCache:
    """A fresh cache in place of the unusable one at `path` (in memory when another process holds
    it locked, or when it cannot be replaced), and one note saying which. `failed` is the
    generation of the cache found unusable, when it could be read. Processes that find it
    unusable at once take turns, and each first looks at what is there now: a cache of another
    generation was rebuilt meanwhile by another process, which has it open; removing its files
    would make that process fail with "disk I/O error"."""
    where = f"the locate cache at {path}"
    stayed_locked = f"{where} stayed locked by another process ({{}}); running without a cache this time"
    if error.locked:
        note(stayed_locked.format(error.reason))
        return IndexCache(None)
    try:
        with exclusive_lock(path.with_name(path.name + ".rebuild.lock")):
            try:
                now: IndexCache | None = IndexCache(path, timeout=timeout)
            except CacheError as still:
                if still.locked:
                    note(stayed_locked.format(still.reason))
                    return IndexCache(None)
                now = None
            if now is not None and now.generation not in (None, failed):
                return now
            if now is not None:
                now.close()
            for name in (path, *(path.with_name(path.name + suffix) for suffix in SIDE_FILES)):
                try:
                    os.unlink(name)
                except FileNotFoundError:
                    pass
            cache = IndexCache(path, timeout=timeout)
    except (OSError, CacheError) as again:
        why = again.reason if isinstance(again, CacheError) else _one_line(again)
        note(f"{where} could not be used ({error.reason}) and cannot be rebuilt ({why}); running without a cache (in memory)")
        return IndexCache(None)
    note(f"{where} could not be used ({error.reason}); rebuilt it")
    return cache
