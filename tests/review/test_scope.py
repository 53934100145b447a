"""scope: which lines are judged (--staged, --range, --all, PATH...), read from the right place."""

import pytest

from surgeon.errors import UsageError
from surgeon.review import scope
from tests.helpers import git, make_repo


def test_added_lines_from_a_zero_context_diff():
    # as git writes it: every hunk holds the lines its header counts, created and deleted files have
    # their mode lines, a name with a quote or a byte above 0x7f is C-quoted on both sides
    diff = (b'diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,0 +2,2 @@\n+a\n+b\n@@ -9 +11 @@\n-c\n+d\n'
            b'@@ -20,3 +22,0 @@\n-e\n-f\n-g\n'
            b'diff --git "a/sp ace\\"q.txt" "b/sp ace\\"q.txt"\nnew file mode 100644\n--- /dev/null\n'
            b'+++ "b/sp ace\\"q.txt"\t\n@@ -0,0 +1 @@\n+z\n'
            b'diff --git "a/\\303\\251.py" "b/\\303\\251.py"\n--- "a/\\303\\251.py"\n+++ "b/\\303\\251.py"\n@@ -1 +1 @@\n-x\n+y\n'
            b"diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n--- a/gone.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-q\n")
    assert scope.added_lines(diff) == {"x.py": {2, 3, 11}, 'sp ace"q.txt': {1}, "é.py": {1}}


def test_an_added_line_that_looks_like_a_file_header_is_content(tmp_path):
    """`++ x` added is `+++ x` in the diff: it must not end the file's hunks (later lines are judged)."""
    repo = make_repo(tmp_path / "r", {"notes.txt": "".join(f"line {n}\n" for n in range(1, 21))})
    lines = (repo / "notes.txt").read_text().splitlines(keepends=True)
    lines[2:2] = ["++ not a header\n"]
    lines[15:15] = ["added later\n"]
    (repo / "notes.txt").write_text("".join(lines))
    git(repo, "add", "notes.txt")
    assert scope.added_lines(scope._diff(repo, "--cached")) == {"notes.txt": {3, 16}}


def test_source_file_lines_split_on_newlines_only():
    file = scope.SourceFile("a.txt", "one\r\ntwo\x0cstill two\nthree")
    assert file.lines == ("one\r", "two\x0cstill two", "three")


def test_staged_judges_only_added_lines_and_reads_the_index(tmp_path):
    repo = make_repo(tmp_path / "r", {"app.py": "a = 1\nb = 2\n", "old.py": "x = 1\n"})
    (repo / "app.py").write_text("a = 1\nnew = 3\nb = 2\n")
    git(repo, "add", "app.py")
    (repo / "app.py").write_text("a = 1\nnew = 3\nb = 2\nunstaged = 4\n")  # not part of the commit
    (repo / "fresh.py").write_text("f = 1\n")
    git(repo, "add", "fresh.py")
    chosen = scope.staged(repo)
    assert [(f.path, f.judged) for f in chosen.files] == [("app.py", frozenset({2})), ("fresh.py", frozenset({1}))]
    assert chosen.files[0].text == "a = 1\nnew = 3\nb = 2\n"


def test_staged_works_before_the_first_commit_and_skips_binaries(tmp_path):
    repo = make_repo(tmp_path / "r", {}, commit=False)
    (repo / "a.py").write_text("x = 1\n")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (repo / "vendor.min.js").write_text("var a=1;" * 10)
    (repo / "bundle.js").write_text("var a=1;" * 5000 + "\n")  # one 40 kB line: generated
    git(repo, "add", "-A")
    chosen = scope.staged(repo)
    assert [f.path for f in chosen.files] == ["a.py"]
    assert chosen.skipped == {"minified or generated": 2}  # git itself leaves binaries out of the diff


def test_renamed_file_judges_only_the_changed_lines(tmp_path):
    body = "".join(f"line {n}\n" for n in range(30))
    repo = make_repo(tmp_path / "r", {"old.py": body})
    git(repo, "mv", "old.py", "new.py")
    (repo / "new.py").write_text(body + "extra\n")
    git(repo, "add", "-A")
    (file,) = scope.staged(repo).files
    assert (file.path, file.judged) == ("new.py", frozenset({31}))


def test_range_reads_the_tip_commit(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "a.py").write_text("x = 1\ny = 2\n")
    git(repo, "commit", "-qam", "y")
    (repo / "a.py").write_text("x = 1\ny = 2\nworking = 3\n")
    (file,) = scope.commit_range(repo, "main..topic").files
    assert (file.judged, file.text) == (frozenset({2}), "x = 1\ny = 2\n")
    with pytest.raises(UsageError, match="A..B"):
        scope.commit_range(repo, "main")
    with pytest.raises(UsageError, match="not a commit"):
        scope.commit_range(repo, "main..nope")
    git(repo, "checkout", "-q", "--orphan", "unrelated")
    git(repo, "commit", "-qm", "no common history")
    with pytest.raises(UsageError, match="have no common commit"):  # exit 2, as before (it read "git merge-base failed")
        scope.commit_range(repo, "main...unrelated")


def test_all_and_named_paths_judge_every_line_of_the_working_tree(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n", "sub/b.py": "y = 2\n", "sub/c.txt": "z\n"})
    (repo / "a.py").write_text("x = 1\nw = 2\n")
    everything = scope.all_files(repo)
    assert [(f.path, f.judged) for f in everything.files] == [("a.py", None), ("sub/b.py", None), ("sub/c.txt", None)]
    assert everything.files[0].text == "x = 1\nw = 2\n"
    named = scope.named_paths(repo, ["sub", "a.py"], repo)
    assert [f.path for f in named.files] == ["a.py", "sub/b.py", "sub/c.txt"]
    with pytest.raises(UsageError, match="no such file"):
        scope.named_paths(repo, ["missing.py"], repo)


@pytest.mark.parametrize(("path", "test", "lock", "doc"), [
    ("tests/test_app.py", True, False, False), ("app/test_utils.py", True, False, False),
    ("web/cart.spec.ts", True, False, False), ("pkg/fixtures/keys.json", True, False, False),
    ("app/contest.py", False, False, False), ("poetry.lock", False, True, False),
    ("web/package-lock.json", False, True, False), ("docs/deploy.md", False, False, True),
    ("README", False, False, True),
])
def test_file_roles(path, test, lock, doc):
    file = scope.SourceFile(path, "")
    assert (file.is_test, file.is_lock, file.is_doc) == (test, lock, doc)
