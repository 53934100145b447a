"""The path rules of the diff engine (diff/paths.py): what a diff may name, decided once for
`apply --dry-run`, staging, `apply --in-place` and `edit` alike. Never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surgeon.diff import apply_patch
from surgeon.diff.paths import git_folder_spelling, tidy, unsafe_path

FILES = {"sub/x.txt": b"a\nb\nc\n", "app.py": b"q\n"}


def modify(path: str) -> str:
    return f"--- a/{path}\n+++ b/{path}\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"


def create(path: str) -> str:
    return f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+echo hi\n"


def refused(diff: str, files: dict[str, bytes] = FILES) -> str:
    result = apply_patch(diff, files.get)
    assert not result.ok, result.normalised
    return " | ".join(str(r) for r in result.refusals)


GIT_FOLDER = [".git/config", ".GIT/config", ".Git/hooks/pre-commit", ".git./config", ".git /config",
              ".git. . /config", "sub/.git/config", "sub/.GIT/HEAD", "GIT~1/config", ".git::$INDEX_ALLOCATION/config",
              ".g\u200cit/config", "sub\\.git\\config", ".git"]


@pytest.mark.parametrize("path", GIT_FOLDER)
@pytest.mark.parametrize("make", [modify, create])
def test_every_spelling_of_gits_folder_is_refused(path, make):
    files = {**FILES, path: b"a\nb\nc\n"}  # even where the file system would let it exist
    message = refused(make(path), files)
    assert "git's own" in message, message


@pytest.mark.parametrize("name", [".gitignore", ".github/workflows/ci.yml", "git/config", ".gitmodules", "x.git/y",
                                  "sub/.git-blame-ignore-revs", "back\\slash.py"])
def test_names_that_only_look_like_git_are_ordinary(name):
    assert unsafe_path(name) is None and not git_folder_spelling(name.split("/")[0])
    result = apply_patch(create(name), FILES.get)
    assert result.ok, [str(r) for r in result.refusals]


@pytest.mark.parametrize("written", ["./sub/./x.txt", "sub/./x.txt", "sub//x.txt", "./sub/x.txt", ".//sub///x.txt"])
def test_non_canonical_paths_are_normalised_as_a_named_repair(written):
    result = apply_patch(modify(written), FILES.get)
    assert result.ok, [str(r) for r in result.refusals]
    assert result.files == ("sub/x.txt",)
    assert "diff --git a/sub/x.txt b/sub/x.txt" in result.normalised
    assert any(f"path {written} written as sub/x.txt" in r for r in result.repairs), result.repairs


def test_non_canonical_new_file_and_rename_paths_are_normalised():
    made = apply_patch(create("./new/./made.sh"), FILES.get)
    assert made.ok and made.files == ("new/made.sh",)
    renamed = apply_patch("diff --git a/app.py b/lib//app.py\nsimilarity index 100%\nrename from ./app.py\n"
                          "rename to lib//app.py\n", FILES.get)
    assert renamed.ok, [str(r) for r in renamed.refusals]
    assert renamed.changes[0].old_path == "app.py" and renamed.changes[0].path == "lib/app.py"


def test_a_trailing_slash_names_a_folder_and_is_refused():
    assert "names a folder" in refused(modify("sub/x.txt/"))


@pytest.mark.parametrize(("mode", "kind"), [("120000", "symbolic link"), ("160000", "submodule"), ("040000", "folder"),
                                            ("100600", "mode 100600")])
def test_modes_other_than_regular_files_are_refused(mode, kind):
    new_file = (f"diff --git a/link b/link\nnew file mode {mode}\nindex 0000000..1111111\n--- /dev/null\n+++ b/link\n"
                "@@ -0,0 +1 @@\n+app.py\n\\ No newline at end of file\n")
    changed = f"diff --git a/app.py b/app.py\nold mode 100644\nnew mode {mode}\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-q\n+r\n"
    by_index = f"diff --git a/app.py b/app.py\nindex 1111111..2222222 {mode}\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-q\n+r\n"
    for diff in (new_file, changed, by_index):
        message = refused(diff)
        assert kind in message and "regular files only" in message, message


def test_a_submodule_bump_is_refused_with_its_reason():
    bump = ("diff --git a/lib b/lib\nindex 1234567..89abcde 160000\n--- a/lib\n+++ b/lib\n@@ -1 +1 @@\n"
            "-Subproject commit 1234567890123456789012345678901234567890\n"
            "+Subproject commit 89abcdef89abcdef89abcdef89abcdef89abcdef\n")
    assert "submodule" in refused(bump)


def test_regular_and_executable_modes_still_apply():
    result = apply_patch("diff --git a/app.py b/app.py\nold mode 100644\nnew mode 100755\n", FILES.get)
    assert result.ok and result.changes[0].new_mode == "100755"


@pytest.mark.parametrize("make", [modify, create])
def test_a_name_over_255_bytes_is_refused_with_a_reason(make):
    long_name = "y" * 256 + ".txt"
    message = refused(make(f"sub/{long_name}"))
    assert "260 bytes long" in message and "at most 255" in message
    assert unsafe_path("é" * 126 + ".t") is None  # 254 bytes
    assert "256 bytes long" in (unsafe_path("é" * 128) or "")  # 128 characters, 256 bytes


def test_a_path_over_path_max_is_refused():
    assert "4099 bytes long" in (unsafe_path("/".join(["d" * 99] * 41)) or "")


def test_a_quoted_name_that_is_not_utf8_is_refused_not_renamed():
    diff = 'diff --git "a/caf\\351.txt" "b/caf\\351.txt"\nnew file mode 100644\n--- /dev/null\n+++ "b/caf\\351.txt"\n@@ -0,0 +1 @@\n+x\n'
    message = refused(diff)
    assert "not UTF-8" in message and "\\xe9" in message and "\ufffd" not in message
    assert message.startswith("caf\\xe9.txt: ")
    utf8 = 'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"\nnew file mode 100644\n--- /dev/null\n+++ "b/caf\\303\\251.txt"\n@@ -0,0 +1 @@\n+x\n'
    assert apply_patch(utf8, FILES.get).files == ("café.txt",)


def test_dev_null_on_both_sides_is_refused():
    for diff in ("--- /dev/null\n+++ /dev/null\n@@ -1 +1 @@\n-q\n+r\n",
                 "diff --git a/app.py b/app.py\n--- /dev/null\n+++ /dev/null\n@@ -0,0 +1 @@\n+x\n"):
        assert "name /dev/null" in refused(diff)


def test_tidy():
    assert tidy("./a/./b//c") == "a/b/c"
    assert tidy("/etc/passwd") == "/etc/passwd"
    assert tidy("a/b/") == "a/b/"
    assert tidy("./") == ""


SEGMENTS = st.sampled_from([".git", ".GIT", ".gIt", ".git.", ".git ", ".git..", "git~1", "GIT~1", ".git:x", "sub", ".",
                            "", "..", "x" * 256, "ok.txt", "caf\udce9", "a b", "\0", "é" * 130, ".gitignore"])


@settings(max_examples=300, deadline=None)
@given(st.lists(SEGMENTS, min_size=1, max_size=4), st.booleans())
def test_any_path_gives_a_result_or_a_refusal_never_an_exception(parts, creating):
    path = "/".join(parts)
    result = apply_patch(create(path) if creating else modify(path), {**FILES, tidy(path): b"a\nb\nc\n"}.get)
    if result.ok:
        [change] = result.changes
        assert unsafe_path(change.path) is None
        assert not any(git_folder_spelling(part) for part in change.path.split("/"))
        assert all(len(part.encode()) <= 255 for part in change.path.split("/"))
    else:
        assert all(r.reason for r in result.refusals)
