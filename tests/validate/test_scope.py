from surgeon.diff import FileChange
from surgeon.validate.scope import check_scope, instruction_allows_new_file


def change(path, old=b"x\n", new=b"y\n", old_path=None):
    return FileChange(path=path, old_path=old_path, old_content=old, new_content=new,
                      old_mode=None, new_mode=None, lines_added=1, lines_removed=1)


def test_shown_files_pass():
    assert check_scope([change("a.py")], {"a.py", "b.py"}, "fix a") == []


def test_unshown_existing_file_is_refused_with_the_shown_list():
    [refusal] = check_scope([change("c.py")], {"a.py"}, "fix a")
    assert refusal.path == "c.py"
    assert "not shown" in refusal.reason and "a.py" in refusal.reason


def test_new_file_needs_the_instruction_to_ask_for_it():
    created = change("tests/test_collect.py", old=None)
    assert check_scope([created], {"a.py"}, "rename the helper") != []
    assert check_scope([created], {"a.py"}, "add a test file for /collect") == []
    assert check_scope([created], {"a.py"}, "put the checks in tests/test_collect.py") == []


def test_new_file_rule_never_covers_existing_files():
    assert check_scope([change("b.py")], {"a.py"}, "create a new file b.py") != []


def test_allow_any_file():
    assert check_scope([change("z.py"), change("n.py", old=None)], set(), "x", allow_any_file=True) == []


def test_rename_needs_both_paths_shown():
    moved = change("new.py", old_path="old.py")
    assert check_scope([moved], {"new.py", "old.py"}, "move it") == []
    assert check_scope([moved], {"new.py"}, "move it") != []


def test_instruction_phrases():
    assert instruction_allows_new_file("Generate a short smoke-test script", "scripts/smoke.sh")
    assert instruction_allows_new_file("write unit tests for the parser", "tests/test_parser.py")
    assert not instruction_allows_new_file("make the parser faster", "tests/test_parser.py")
