"""An unusable locate cache (garbage, truncated, another layout, a bad record, a folder that
cannot be written) never stops `surgeon locate` or `surgeon edit`: the cache is rebuilt, or
locate runs with one in memory, and one line on stderr says which. Concurrent runs on a fresh
cache do not trip over SQLite's locks."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.cli.support import SURGEON, assert_no_traceback, surgeon, unwritable
from tests.helpers import GIT_ENV, make_repo

INSTRUCTION = "raise the upload limit"
FILES = {
    "app.py": "def upload_limit():\n    return 10\n\n\ndef download():\n    return 1\n",
    **{f"pkg/mod{i}.py": f"def helper_{i}(x):\n    return x + {i}\n" for i in range(30)},
}


def cache_file(repo: Path) -> Path:
    return repo / ".git" / "surgeon" / "locate" / "index.sqlite"


def regions(run) -> list[tuple[str, int, int]]:
    assert_no_traceback(run)
    assert run.code == 0, run.stderr
    return [(r["path"], r["start_line"], r["end_line"]) for r in json.loads(run.stdout)["regions"]]


def notes(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


@pytest.fixture
def repo(tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    first = surgeon("locate", INSTRUCTION, "--json", cwd=repo)
    assert regions(first)[0][0] == "app.py"
    assert notes(first) == []
    assert cache_file(repo).is_file()
    return repo


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(3000))


def _truncated(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])


def _zeroed_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[100:] = bytes(len(data) - 100)
    path.write_bytes(bytes(data))


def _wrong_schema(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE records (name TEXT, size INTEGER)")
        db.execute("INSERT INTO records VALUES ('x', 1)")
    db.close()


def _bad_record(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE records SET data = ?", (b"\x00\xffnot zlib",))
    db.close()


def _bad_record_json(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE records SET data = ?", (zlib.compress(b'{"not": "a record"}'),))
    db.close()


def _bad_meta(path: Path) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('excluded', '{{not json')")
    db.close()


CORRUPTIONS = [_garbage, _truncated, _zeroed_pages, _wrong_schema, _bad_record, _bad_record_json, _bad_meta]


def _remove_side_files(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


@pytest.mark.parametrize("corrupt", CORRUPTIONS, ids=lambda f: f.__name__.strip("_"))
def test_an_unusable_cache_is_rebuilt_and_said_once(repo, corrupt):
    expected = regions(surgeon("locate", INSTRUCTION, "--json", cwd=repo))
    path = cache_file(repo)
    _remove_side_files(path)
    corrupt(path)
    run = surgeon("locate", INSTRUCTION, "--json", cwd=repo)
    assert regions(run) == expected
    [line] = notes(run)
    assert line.startswith(f"surgeon: the locate cache at {path} could not be used (")
    assert line.endswith("; rebuilt it")
    again = surgeon("locate", INSTRUCTION, "--json", cwd=repo)  # rebuilt: usable again, no note
    assert regions(again) == expected
    assert notes(again) == []


def test_human_output_after_a_corrupt_cache(repo):
    _garbage(cache_file(repo))
    _remove_side_files(cache_file(repo))
    run = surgeon("locate", INSTRUCTION, cwd=repo)
    assert_no_traceback(run)
    assert run.code == 0
    assert run.stdout.lstrip().startswith("1. app.py:1-6  upload_limit (file)")  # a small file is shown whole
    [line] = notes(run)
    assert "could not be used (file is not a database); rebuilt it" in line


def test_edit_rebuilds_a_corrupt_cache_and_proposes_the_diff(repo, tmp_path):
    replies = tmp_path / "replies.json"
    diff = "--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def upload_limit():\n-    return 10\n+    return 20\n"
    replies.write_text(json.dumps([f"```diff\n{diff}```"]))
    for args in (["--json"], []):
        _garbage(cache_file(repo))
        _remove_side_files(cache_file(repo))
        run = surgeon("edit", INSTRUCTION, "--dry-run", "--model", f"script:{replies}", *args, cwd=repo)
        assert_no_traceback(run)
        assert run.code == 0, run.stderr
        if args:
            assert json.loads(run.stdout)["status"] == "proposed"
        else:
            assert "+    return 20" in run.stdout
        cache_notes = [line for line in notes(run) if "locate cache" in line]
        assert len(cache_notes) == 1 and cache_notes[0].endswith("rebuilt it"), run.stderr


def test_a_cache_that_cannot_be_replaced_runs_in_memory(repo):
    expected = regions(surgeon("locate", INSTRUCTION, "--json", cwd=repo))
    path = cache_file(repo)
    for name in path.parent.iterdir():
        name.unlink()
    path.mkdir()  # a folder where the file should be: it cannot be opened, and is not surgeon's to delete
    run = surgeon("locate", INSTRUCTION, "--json", cwd=repo)
    assert regions(run) == expected
    [line] = notes(run)
    assert line.startswith(f"surgeon: the locate cache at {path} could not be used (")
    assert "cannot be rebuilt" in line and line.endswith("running without a cache (in memory)")
    assert path.is_dir()


def test_a_cache_folder_that_cannot_be_created_runs_in_memory(tmp_path):
    repo = make_repo(tmp_path / "repo", FILES)
    (repo / ".git" / "surgeon").write_text("not a folder\n")
    run = surgeon("locate", INSTRUCTION, "--json", cwd=repo)
    assert regions(run)[0][0] == "app.py"
    [line] = notes(run)
    assert line.startswith(f"surgeon: the locate cache cannot be created at {cache_file(repo)} (")
    assert line.endswith("running without a cache (in memory)")


@pytest.mark.parametrize("corrupt", [_garbage, None], ids=["garbage", "valid"])
def test_an_unwritable_cache_folder_runs_in_memory(repo, corrupt):
    expected = regions(surgeon("locate", INSTRUCTION, "--json", cwd=repo))
    path = cache_file(repo)
    if corrupt:
        _remove_side_files(path)
        corrupt(path)
    (repo / "new_upload.py").write_text("UPLOAD_LIMIT = 5\n")  # untracked: locate must write its stat and record
    with unwritable(path.parent):
        run = surgeon("locate", INSTRUCTION, "--json", cwd=repo)
    found = regions(run)
    assert set(expected) <= set(found)
    assert ("new_upload.py", 1, 1) in found
    [line] = notes(run)
    assert "cannot be rebuilt" in line and line.endswith("running without a cache (in memory)"), line


def _spawn(repo: Path, instruction: str) -> subprocess.Popen:
    env = {**os.environ, **GIT_ENV}
    return subprocess.Popen([str(SURGEON), "locate", instruction, "--json"], cwd=repo, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("start", ["fresh", "corrupt"])
def test_concurrent_locates_on_a_fresh_or_corrupt_cache(tmp_path, start):
    # Enough files that the first run indexes in worker processes while the others wait on the lock.
    files = {**FILES, **{f"more/m{i}.py": f"def more_{i}():\n    return {i}\n" for i in range(120)}}
    repo = make_repo(tmp_path / "repo", files)
    for _ in range(3):
        folder = cache_file(repo).parent
        if folder.exists():
            for name in folder.iterdir():
                name.unlink()
        if start == "corrupt":
            folder.mkdir(parents=True, exist_ok=True)
            _garbage(cache_file(repo))
        procs = [_spawn(repo, INSTRUCTION if i % 2 else "helper_3 more_7") for i in range(4)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            text = err.decode("utf-8", "replace")
            assert proc.returncode == 0, text
            assert "Traceback" not in text and "locked" not in text and "internal error" not in text, text
            assert json.loads(out)["regions"]
            for line in text.splitlines():
                assert start == "corrupt" and line.endswith("rebuilt it"), text
    assert notes(surgeon("locate", INSTRUCTION, "--json", cwd=repo)) == []
