"""The minimality and syntax validators on their own."""

from __future__ import annotations

import pytest

from surgeon.diff import FileChange
from surgeon.diff.churn import drop_churn
from surgeon.validate.minimality import check_minimality, instruction_asks_to_delete
from surgeon.validate.syntax import check_syntax, error_lines


def change(path, old, new, added, removed):
    return FileChange(path, None, old, new, None, None, added, removed)


def test_drop_churn_keeps_only_real_changes():
    lines = [("-", "a"), ("-", "b"), ("-", "c"), ("+", "a"), ("+", "B"), ("+", "c"), (" ", "d")]
    out, kept = drop_churn(lines)
    assert out == [(" ", "a"), ("-", "b"), ("+", "B"), (" ", "c"), (" ", "d")]
    assert kept == 2


def test_drop_churn_leaves_whitespace_changes_alone():
    out, kept = drop_churn([("-", "a  "), ("+", "a")])
    assert out == [("-", "a  "), ("+", "a")] and kept == 0


def test_rewrite_share_and_small_files():
    old = b"".join(b"%d\n" % n for n in range(20))
    assert check_minimality([change("f", old, b"x\n", 1, 20)])
    assert not check_minimality([change("f", old, b"x\n", 1, 20)], allow_rewrite=True)
    assert not check_minimality([change("f", old, old, 10, 10)])  # half the file: fine at 0.6
    assert check_minimality([change("f", old, old, 10, 10)], rewrite_share=0.4)
    assert not check_minimality([change("f", b"a\nb\n", b"c\nd\n", 2, 2)])  # a tiny file
    assert not check_minimality([FileChange("n", None, None, b"x\n" * 50, None, "100644", 50, 0)])


def test_max_changed_lines():
    changes = [change("a", b"x\n", b"y\n", 3, 2), change("b", b"x\n", b"y\n", 1, 1)]
    [refusal] = check_minimality(changes, max_changed_lines=6)
    assert "changes 7 lines" in refusal.reason and "a +3 -2" in refusal.reason
    assert not check_minimality(changes, max_changed_lines=7)


def test_error_lines():
    assert error_lines("def f():\n    return 1\n", "python") == []
    assert error_lines("x = 1\ndef f(:\n    pass\n", "python") == [2]
    assert error_lines("function f( {\n}\n", "javascript")


def test_check_syntax_counts_only_new_errors():
    assert check_syntax("a.py", "x = 1\n", "x = 2\n") is None
    refusal = check_syntax("a.py", "x = 1\n", "x = (2\n", [1])
    assert refusal is not None and refusal.line == 1 and "Python syntax" in refusal.reason
    assert check_syntax("a.py", "def f(:\n", "def f(:\nx = 1\n") is None  # an old error stays
    assert check_syntax("notes.txt", "a", "((((") is None  # no grammar: no opinion
    new_file = check_syntax("b.json", None, '{"a": }\n')
    assert new_file is not None and new_file.path == "b.json"


def test_a_deletion_the_instruction_does_not_ask_for_is_refused():
    gone = FileChange("app.py", None, b"TIMEOUT = 5\n", None, "100644", None, 0, 1)
    [refusal] = check_minimality([gone], instruction="raise the timeout in app.py to 15")
    assert str(refusal) == ("app.py: the diff deletes this whole file, but the instruction does not ask to "
                            "delete it: change the lines the task needs and keep the file")
    assert not check_minimality([gone], instruction="delete app.py, its code moved to main.py")
    assert not check_minimality([gone])  # no instruction: the user's own diff, a deletion is theirs


@pytest.mark.parametrize("instruction, path, asks", [
    ("raise the timeout in app.py to 15", "app.py", False),
    ("remove the timeout from app.py", "app.py", False),
    ("remove the import of os in app.py", "app.py", False),
    ("delete app.py", "app.py", True),
    ("remove the old app.py file", "app.py", True),
    ("Delete the legacy module src/old_api.py", "src/old_api.py", True),
    ("get rid of old_api", "src/old_api.py", True),
    ("remove the unused files", "lib/x.py", True),
    ("delete the file `config.yaml`", "config.yaml", True),
    ("remove a line from files", "a.py", False),
])
def test_what_asks_for_a_deletion(instruction, path, asks):
    assert instruction_asks_to_delete(instruction, path) is asks


def test_check_patch_refuses_an_unasked_deletion_of_a_models_diff():
    from surgeon.validate import ApplyOptions, check_patch

    diff = "diff --git a/app.py b/app.py\ndeleted file mode 100644\n--- a/app.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-TIMEOUT = 5\n"
    files = {"app.py": b"TIMEOUT = 5\n"}.get
    result = check_patch(diff, files, ApplyOptions(instruction="raise the timeout in app.py to 15"))
    assert not result.ok and "does not ask to delete it" in result.refusals[0].reason
    assert check_patch(diff, files, ApplyOptions(instruction="delete app.py")).ok
    assert check_patch(diff, files).ok  # surgeon apply: the user's own diff
