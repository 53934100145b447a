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


def test_a_scope_refusal_names_the_first_hunk_of_the_file():
    [refusal] = check_scope([change("c.py")], {"a.py"}, "fix a")
    assert refusal.hunk == 1
    renamed_only = FileChange("d.py", "c.py", b"x\n", b"x\n", None, None, 0, 0)
    assert check_scope([renamed_only], {"a.py"}, "fix a")[0].hunk is None


def test_never_sent_paths_are_found_however_a_diff_spells_them(tmp_path):
    from surgeon.validate.scope import is_never_sent

    (tmp_path / ".surgeonignore").write_text("internal/\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "link").symlink_to("conf")
    for path in (".env", "./.env", "sub/../.env", ".ENV", "keys/id_rsa", "internal/notes.txt"):
        assert is_never_sent(path, tmp_path), path
    (tmp_path / "conf" / "server.pem").write_text("x")
    assert is_never_sent("link/server.pem", tmp_path)
    assert not is_never_sent("app.py", tmp_path) and not is_never_sent(".env.example", tmp_path)
