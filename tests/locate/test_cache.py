"""The locate cache in-process: a lock held too long by another process, records that do not
decode, and grep output whose file names hold newlines."""

from __future__ import annotations

import sqlite3

from surgeon.locate import cache as cache_module
from surgeon.locate.cache import CacheError, IndexCache, open_cache
from surgeon.locate.engine import locate
from surgeon.locate.grep import _records
from tests.helpers import make_repo

FILES = {"app.py": "def upload_limit():\n    return 10\n", "other.py": "X = 1\n"}


def test_a_lock_held_too_long_runs_without_the_cache_this_time(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", FILES)
    path = repo / ".git" / "surgeon" / "locate" / "index.sqlite"
    assert locate(repo, "upload limit", on_note=lambda text: None).regions
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
