"""What the controller carries from one turn to the next and shows beside the conversation,
without a terminal: files the model read join the next turn's scope, each turn's cost is printed
after its reply, and the toolbar and Tab get their text from the session."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from surgeon.pair.commands import normalise_pinned_path
from surgeon.pair.completion import PathIndex
from tests.helpers import make_repo
from tests.pair.test_controller import NEW, OLD, FakeLoop, ScriptUI, controller, proposal


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"app.py": OLD.decode(), "other.py": "x = 1\n"})


def read_outcome(result, *, read: tuple[str, ...], located: tuple[str, ...] = ("app.py",), cost: float | None = 0.25):
    """An outcome as the edit loop gives it: the located regions, and shown_files with the files
    the model read through its tools after them."""
    attempts = (SimpleNamespace(input_tokens=100, output_tokens=10, cache_read_tokens=0, cost=cost),)
    return SimpleNamespace(status="proposed", result=result, model="fake:m", attempts=attempts, errors=(),
                           failure=None, shown_files=(*located, *read),
                           located=SimpleNamespace(regions=tuple(SimpleNamespace(path=p) for p in located)))


def test_files_read_in_a_turn_are_shown_on_the_next_turn_only(repo):
    (repo / "notes.md").write_text("n\n")
    (repo / ".env").write_text("KEY=1\n")
    ui = ScriptUI(["one", "r", "", "/files", "two", "r", "", "three", "r", ""])
    loop = FakeLoop(read_outcome(proposal(OLD, NEW), read=("other.py", "notes.md", ".env")),
                    read_outcome(proposal(OLD, NEW), read=()),
                    read_outcome(proposal(OLD, NEW), read=()))
    ctl = controller(repo, ui, loop)
    (repo / "notes.md").unlink()  # gone before the next turn: not asked for
    ctl.run()
    first, second, third = loop.requests
    assert first.files == ()
    assert second.files == ("other.py",)  # never a deleted or a never-sent file
    assert third.files == ()  # not read again in turn 2: dropped
    assert "also shown (the model read them last turn): other.py" in ui.text
    assert "read by the model last turn" in ui.text
    assert ctl.session.carried == ()


def test_pinned_files_come_first_and_drop_removes_a_carried_file(repo):
    ui = ScriptUI(["/add app.py", "one", "r", "", "/drop other.py", "two", "r", ""])
    loop = FakeLoop(read_outcome(proposal(OLD, NEW), read=("other.py",)), read_outcome(proposal(OLD, NEW), read=()))
    ctl = controller(repo, ui, loop)
    ctl.run()
    assert [r.files for r in loop.requests] == [("app.py",), ("app.py",)]
    assert "unpinned other.py" in ui.text


def test_each_turns_cost_follows_its_reply_and_the_toolbar_adds_them_up(repo):
    ui = ScriptUI(["one", "a", "two", "r", ""])
    loop = FakeLoop(read_outcome(proposal(OLD, NEW), read=()),
                    read_outcome(proposal(NEW, OLD), read=(), cost=None))
    ctl = controller(repo, ui, loop)
    ctl.model_label = "fake:m"
    ctl.run()
    assert "turn 1: 1 model call(s), 100 input / 10 output tokens, cost $0.2500" in ui.lines
    assert "turn 2: 1 model call(s), 100 input / 10 output tokens, cost unknown" in ui.lines
    assert ctl.status() == f"fake:m · {ctl.session.branch} · 1 accepted · $0.2500 + unknown so far"


def test_tab_offers_commands_and_paths_as_typed_from_where_the_session_started(repo):
    ui = ScriptUI([])
    ctl = controller(repo, ui, FakeLoop())
    assert [c.text for c in ctl.completions("/he")] == ["/help"]
    assert [c.text for c in ctl.completions("/add oth")] == ["other.py"]
    assert ctl.completions("make /add oth") == []
    ctl.session = ctl.session.pin("app.py")
    assert [c.text for c in ctl.completions("/drop ")] == ["app.py"]
    # started in a subfolder: paths are offered as the person types them there, and read back the same
    (repo / "sub").mkdir()
    index = PathIndex(repo, repo / "sub")
    typed = index.typed("app.py")
    assert typed == "../app.py" and normalise_pinned_path(repo, repo / "sub", typed) == "app.py"


def test_odd_file_names(repo):
    from surgeon.pair.completion import addable_paths, path_candidates

    (repo / "my notes.txt").write_text("x\n")
    (repo / "bad\nname.txt").write_text("x\n")
    (repo / "src").mkdir()
    os.symlink(repo, repo / "src" / "loop")  # a link to a folder: never followed
    paths = addable_paths(Path(repo))
    assert "my notes.txt" in paths and not any("\n" in p for p in paths)
    assert not any(p.startswith("src/") for p in paths)
    assert path_candidates("my", paths) == ["my notes.txt"]
    assert path_candidates("zzz", paths) == []
