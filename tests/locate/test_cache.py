"""The locate cache in-process: a lock held too long by another process, records that do not
decode, grep output whose file names hold newlines, and blob ids in a sha256 repository."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

from surgeon.locate import cache as cache_module
from surgeon.locate.cache import CacheError, IndexCache, open_cache
from surgeon.locate.engine import locate
from surgeon.locate.files import list_files
from surgeon.locate.grep import _records
from tests.helpers import git, make_repo

FILES = {"app.py": "def upload_limit():\n    return 10\n", "other.py": "X = 1\n"}


def located_repo(tmp_path: Path) -> tuple[Path, Path]:
    """A repository located once (its cache filled), and its cache file."""
    repo = make_repo(tmp_path / "repo", FILES)
    assert locate(repo, "upload limit", on_note=lambda text: None).regions
    return repo, repo / ".git" / "surgeon" / "locate" / "index.sqlite"


def test_a_lock_held_too_long_runs_without_the_cache_this_time(tmp_path, monkeypatch):
    repo, path = located_repo(tmp_path)
    (repo / "new.py").write_text("UPLOAD = 2\n")  # an untracked file: locate must write to the cache
    monkeypatch.setattr(cache_module, "BUSY_TIMEOUT", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    notes: list[str] = []
    try:
        result = locate(repo, "upload limit", on_note=notes.append)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert {r.path for r in result.regions} >= {"app.py", "new.py"}
    assert len(notes) == 1 and "locked" in notes[0] and notes[0].endswith("running without a cache this time")
    assert path.is_file()  # another process's cache is never deleted for being busy
    later: list[str] = []
    assert locate(repo, "upload limit", on_note=later.append).regions and later == []


def test_cache_errors_say_locked_only_for_locks(tmp_path):
    path = tmp_path / "index.sqlite"
    path.write_bytes(b"garbage" * 100)
    try:
        IndexCache(path)
    except CacheError as exc:
        assert not exc.locked and "not a database" in exc.reason
    else:
        raise AssertionError("a garbage file opened as a cache")
    notes: list[str] = []
    with open_cache(path, notes.append) as cache:
        assert not cache.in_memory and cache.known() == {}
    assert notes == [f"the locate cache at {path} could not be used (file is not a database); rebuilt it"]


def test_grep_records_are_read_by_nul_not_by_line():
    output = b"new\nline.py\x001\x00def f(): pass\n-dash.py\x0012\x00x = 1\nplain.py\x003\x00a\x00b\n"
    assert list(_records(output, b"\x00")) == [
        (b"new\nline.py", b"1", b"def f(): pass"), (b"-dash.py", b"12", b"x = 1"), (b"plain.py", b"3", b"a\x00b")]
    rg = b"tab\there.py\x007:needle: here\n"
    assert list(_records(rg, b":")) == [(b"tab\there.py", b"7", b"needle: here")]
    assert list(_records(b"", b"\x00")) == []


def test_cached_blob_ids_are_gits_own_in_a_sha256_repository(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "--object-format=sha256")
    make_repo(repo, FILES)
    (repo / "app.py").write_text("def upload_limit():\n    return 20\n")  # edited: hashed by locate
    (repo / "new.py").write_text("UPLOAD = 2\n")  # untracked: hashed by locate
    assert locate(repo, "upload limit", on_note=lambda text: None).regions
    expected = {path: git(repo, "hash-object", path).strip() for path in ("app.py", "new.py", "other.py")}
    assert all(len(oid) == 64 for oid in expected.values())
    with sqlite3.connect(repo / ".git" / "surgeon" / "locate" / "index.sqlite") as db:
        stats = dict(db.execute("SELECT path, blob FROM stats").fetchall())
        records = {blob for (blob,) in db.execute("SELECT blob FROM records")}
    assert stats == {"app.py": expected["app.py"], "new.py": expected["new.py"]}
    assert records == set(expected.values())
    # an id a sha1-only surgeon remembered for this exact stat is not trusted
    listing = list_files(repo, max_bytes=1 << 20, stat_lookup=lambda *stat: "0" * 40)
    assert {f.path: f.blob for f in listing.files} == expected


def test_a_cache_of_the_previous_layout_is_rebuilt_and_searched(tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    path = repo / ".git" / "surgeon" / "locate" / "index.sqlite"
    path.parent.mkdir(parents=True)
    old = sqlite3.connect(path, isolation_level=None)  # version 6: chunk text stored in the FTS table, no documents
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE records (blob TEXT, language TEXT, skip TEXT, data BLOB, PRIMARY KEY (blob, language));
        CREATE TABLE stats (path TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, inode INTEGER, blob TEXT);
        CREATE TABLE chunk_spans (id INTEGER PRIMARY KEY, blob TEXT, language TEXT, start INTEGER, end INTEGER,
            symbol TEXT, kind TEXT);
        CREATE VIRTUAL TABLE chunks USING fts5(name, body, detail=column);
        INSERT INTO meta VALUES ('version', '6');
        INSERT INTO chunk_spans VALUES (1, 'stale', 'python', 1, 2, NULL, NULL);
        INSERT INTO chunks (rowid, name, body) VALUES (1, '', 'upload limit');
    """)
    old.close()
    result = locate(repo, "upload limit", on_note=lambda text: None)
    assert result.regions[0].path == "app.py"
    with IndexCache(path) as cache:
        documents = {blob for blob, _, _ in cache.search_documents('"upload"', 10)}
        chunks = {row[0] for row in cache.search('"upload"', 10)}
        assert documents and chunks and "stale" not in documents | chunks
        assert cache.db.execute("SELECT value FROM meta WHERE key='version'").fetchone()[0] == str(cache_module.INDEX_VERSION)


def test_a_damaged_full_text_row_rebuilds_the_cache(tmp_path):
    repo, path = located_repo(tmp_path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("UPDATE chunk_spans SET words = x'00ff'")
    db.execute("DELETE FROM records")  # the next run indexes the files again, deleting their old rows
    db.close()
    notes: list[str] = []
    result = locate(repo, "upload limit", on_note=notes.append)
    assert result.regions[0].path == "app.py"
    assert any("rebuilt" in note for note in notes), notes


def test_another_checkout_cannot_swap_the_full_text_index_while_a_run_ranks(tmp_path):
    # worktrees share one cache: another checkout's run swapping its own blobs in between this
    # run's activation and its searches made this run rank against the other tree's files
    repo, path = located_repo(tmp_path)
    attempts: list[str] = []

    def withhold(_path: str) -> bool:  # called while the run ranks
        if not attempts:
            try:
                with IndexCache(path, timeout=0.1) as other:  # opening a current cache needs no write lock
                    other.activate(set())
                attempts.append("swapped")
            except CacheError as exc:
                attempts.append("locked" if exc.locked else exc.reason)
        return False

    assert locate(repo, "upload limit", on_note=lambda text: None, withhold=withhold).regions[0].path == "app.py"
    assert attempts == ["locked"]
    with IndexCache(path, timeout=1) as after:  # released when the run ends
        assert after.activate(set()) == (0, 2)


def test_a_batch_holding_one_blob_twice_or_a_skipped_record_with_chunks_stays_consistent(tmp_path):
    from surgeon.locate.chunks import chunk_file
    from surgeon.locate.index import FileRecord, index_bytes

    text = "def upload_limit():\n    return 10\n"
    record = index_bytes(text.encode(), "python")
    chunks = chunk_file(record.definitions, text.splitlines())
    with IndexCache(tmp_path / "index.sqlite") as cache:
        cache.put_many([("b1", "python", record, chunks), ("b1", "python", record, chunks),
                        ("b2", "python", FileRecord("python", skip="generated"), chunks)])
        assert [row[0] for row in cache.search('"upload"', 10)] == ["b1"]
        assert cache.frequencies("chunks", ["upload"]) == (len(chunks), {"upload": len(chunks)})
        cache.prune(set(), set())
        assert cache.search('"upload"', 10) == [] and cache.frequencies("chunks", ["upload"]) == (0, {"upload": 0})


def _open_at_once(folder: str, rounds: int, barrier, failures) -> None:
    for round_ in range(rounds):
        barrier.wait()
        try:
            with IndexCache(Path(folder) / f"{round_}.sqlite") as cache:
                cache.stat_store(f"file{os.getpid()}", 1, 2, 3, "blob")
                with cache.activated(set()):
                    cache.frequencies("chunks", ["upload"])
        except CacheError as exc:
            failures.put(f"round {round_}: {exc.reason}")


def test_processes_that_create_or_upgrade_one_cache_at_once_all_open_it(tmp_path):
    # SQLite answered the racing switch to WAL with "locked" at once, without waiting, and one
    # process dropped the full-text tables of an outdated cache while another was creating them.
    rounds, processes = 12, 6
    for round_ in range(rounds // 2, rounds):  # half of the rounds upgrade a cache of an older layout
        old = sqlite3.connect(tmp_path / f"{round_}.sqlite", isolation_level=None)
        old.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('version', '6');")
        old.close()
    context = multiprocessing.get_context("spawn")
    barrier, failures = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_open_at_once, args=(str(tmp_path), rounds, barrier, failures))
               for _ in range(processes)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert all(worker.exitcode == 0 for worker in workers)
    found = []
    while not failures.empty():
        found.append(failures.get())
    assert found == []
    for round_ in range(rounds):
        with IndexCache(tmp_path / f"{round_}.sqlite") as cache:
            assert cache.db.execute("SELECT count(*) FROM stats").fetchone()[0] == processes


def test_a_current_cache_opens_and_reads_while_another_process_holds_its_write_lock(tmp_path):
    # another process ranking holds the write lock; the model's find_definition must not wait for it
    repo, path = located_repo(tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with IndexCache(path, timeout=0.2) as reader:
            assert reader.full_text and reader.known()
            assert reader.search('"upload"', 10)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_cache_another_process_rebuilt_is_used_not_removed_again(tmp_path):
    # Two processes found the cache unusable at once; the first rebuilt it and went on using it.
    # The second must take that cache as it is: removing its files under the first one's open
    # connection made the first fail with "disk I/O error" (or write into a removed file).
    path = tmp_path / "index.sqlite"
    path.write_bytes(os.urandom(4096))
    seen = CacheError("file is not a database")
    notes: list[str] = []
    first = cache_module.recover(path, seen, notes.append)
    first.set_meta("written", 1)
    second = cache_module.recover(path, seen, notes.append)
    first.set_meta("written", 2)
    assert second.get_meta("written") == 2
    assert not second.in_memory
    assert len(notes) == 1 and notes[0].endswith("rebuilt it")
