"""PairController without a terminal or a model: a scripted UI and a stand-in for the edit loop
that proposes fixed changes. (The real loop, model and terminal are in tests/cli/test_pair.py.)"""

from __future__ import annotations

import difflib
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from surgeon.diff.types import FileChange, PatchResult
from surgeon.errors import Refused
from surgeon.git import Git
from surgeon.pair.branch import Ending
from surgeon.pair.controller import PairContext, PairController
from surgeon.pair.session import new_session
from surgeon.pair.store import load_last_session, now_local
from tests.helpers import git, make_repo, repo_state


def rev_parse(repo: Path, ref: str) -> str | None:
    return Git(repo).rev(f"{ref}^{{commit}}")


OLD = b"def greet(name):\n    return 'Hello, ' + name\n"
NEW = b"def greet(name):\n    return 'Hi, ' + name\n"


class ScriptUI:
    def __init__(self, answers: list[str | None]) -> None:
        self.answers = list(answers)
        self.lines: list[str] = []
        self.asked: list[tuple[str, str]] = []

    def ask(self, prompt: str, default: str = "", *, remember: bool = False) -> str | None:
        self.asked.append((prompt, default))
        if not self.answers:
            return None
        answer = self.answers.pop(0)
        if answer == "^C":
            raise KeyboardInterrupt
        return answer

    def info(self, text): self.lines.append(text)
    def warn(self, text): self.lines.append(text)
    def error(self, text): self.lines.append(text)
    def diff(self, diff): self.lines.append(diff)
    def table(self, rows): self.lines.extend(" | ".join(r) for r in rows)
    def event(self, event): self.lines.append(f"event {type(event).__name__}")
    def progress(self, progress): pass

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def proposal(old: bytes, new: bytes, path: str = "app.py") -> PatchResult:
    diff = "".join(difflib.unified_diff(old.decode().splitlines(True), new.decode().splitlines(True),
                                        f"a/{path}", f"b/{path}"))
    change = FileChange(path, None, old, new, None, None, 1, 1)
    return PatchResult(True, (change,), (), (), f"diff --git a/{path} b/{path}\n{diff}", 1, 1)


class FakeLoop:
    """Returns the queued outcomes in order and records every request."""

    def __init__(self, *outcomes) -> None:
        self.outcomes = list(outcomes)
        self.requests = []

    def __call__(self, request, workdir, on_event, on_progress):
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, PatchResult):
            attempts = (SimpleNamespace(input_tokens=100, output_tokens=10, cache_read_tokens=50, cost=0.002),)
            return SimpleNamespace(status="proposed", result=outcome, model="fake:m", attempts=attempts, errors=(),
                                   failure=None)
        return outcome


def refused_outcome(reason: str):
    attempts = tuple(SimpleNamespace(input_tokens=10, output_tokens=1, cache_read_tokens=0, cost=None) for _ in range(3))
    return SimpleNamespace(status="refused", result=None, model="fake:m", attempts=attempts,
                           errors=(SimpleNamespace(__str__=lambda self: reason),), failure=None)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "r", {"app.py": OLD.decode(), "other.py": "x = 1\n"})


def controller(repo: Path, ui: ScriptUI, loop: FakeLoop, *, apply: bool = True, gate=None) -> PairController:
    head = git(repo, "rev-parse", "HEAD").strip()
    session = new_session(head, apply=apply, model=None, check="true", now=now_local())
    ctl = PairController(PairContext(repo, repo / ".git" / "surgeon", repo), session, ui, loop,
                         validate_model=lambda spec: f"label of {spec}", count_tokens=lambda t: len(t) // 4,
                         gate=gate)
    ctl.git.create_branch(session.branch, head)
    ctl.open()
    return ctl


def test_accept_then_reject_with_reason_reaches_the_next_request(repo):
    ui = ScriptUI(["make greet say Hi", "a", "change other", "r", "not that file", "again", "d", "x", "r no"])
    loop = FakeLoop(proposal(OLD, NEW), proposal(b"x = 1\n", b"x = 2\n", "other.py"), proposal(b"x = 1\n", b"x = 3\n", "other.py"))
    ctl = controller(repo, ui, loop)
    ctl.run()
    assert (repo / "app.py").read_bytes() == NEW and (repo / "other.py").read_text() == "x = 1\n"
    tip = rev_parse(repo, f"refs/heads/{ctl.session.branch}")
    assert git(repo, "show", f"{tip}:app.py").encode() == NEW
    assert [t.status for t in ctl.session.turns] == ["accepted", "rejected", "rejected"]
    assert ctl.session.turns[1].reason == "not that file"
    assert "rejected your diff for turn 2 because: not that file" in loop.requests[2].preface
    assert loop.requests[2].history[-1]["role"] == "assistant"
    assert all(r.dry_run and r.task == "pair" for r in loop.requests)
    assert "a accept" in ui.text  # an unknown answer ("x") shows the choices
    saved = load_last_session(repo / ".git" / "surgeon")
    assert saved == ctl.session and saved.totals.calls == 3 and saved.totals.cache_read_tokens == 150


def test_a_decline_leaves_everything_as_it_was(repo):
    before = repo_state(repo)
    ui = ScriptUI(["make greet say Hi", "^C", "make greet say Hi", None])
    ctl = controller(repo, ui, FakeLoop(proposal(OLD, NEW), proposal(OLD, NEW)))
    ctl.run()
    assert repo_state(repo) == before
    assert [t.status for t in ctl.session.turns] == ["rejected", "rejected"]
    assert rev_parse(repo, f"refs/heads/{ctl.session.branch}") == before.head


def test_refine_reruns_with_the_refined_instruction(repo):
    ui = ScriptUI(["make greet say Hi", "e", "make greet say Hi, only in app.py", "a"])
    loop = FakeLoop(proposal(OLD, NEW), proposal(OLD, NEW))
    ctl = controller(repo, ui, loop)
    ctl.run()
    assert ("refine> ", "make greet say Hi") in ui.asked
    assert [r.instruction for r in loop.requests] == ["make greet say Hi", "make greet say Hi, only in app.py"]
    assert [t.status for t in ctl.session.turns] == ["refined", "accepted"]
    assert "refined the instruction" in loop.requests[1].preface


def test_cancelled_refused_and_failed_turns(repo):
    ui = ScriptUI(["one", "two", "three", "/log"])
    loop = FakeLoop(KeyboardInterrupt(), refused_outcome("app.py: hunk 1: no match"), Refused("nothing matches"))
    ctl = controller(repo, ui, loop)
    ctl.run()
    assert [t.status for t in ctl.session.turns] == ["cancelled", "refused", "failed"]
    assert "turn 1 cancelled: nothing was changed" in ui.text
    assert "nothing matches" in ui.text
    assert ctl.session.totals.calls == 3 and ctl.session.totals.calls_without_price == 3


def test_a_model_failure_after_earlier_attempts_is_a_failed_turn_that_keeps_their_usage(repo):
    from surgeon.errors import ModelError

    stopped = replace_failure(refused_outcome("app.py: hunk 1: no match"), ModelError("fake:m: server error (HTTP 500)"))
    ui = ScriptUI(["one"])
    ctl = controller(repo, ui, FakeLoop(stopped))
    ctl.run()
    [turn] = ctl.session.turns
    assert turn.status == "failed" and "HTTP 500" in turn.reason
    assert "turn 1 stopped after 3 attempt(s): fake:m: server error (HTTP 500)" in ui.text
    assert ctl.session.totals.calls == 3 and ctl.session.totals.input_tokens == 30


def replace_failure(outcome, failure):
    outcome.status, outcome.failure = "error", failure
    return outcome


def test_accept_refuses_when_the_file_changed_under_the_proposal(repo):
    ui = ScriptUI(["make greet say Hi", "a", "r stale"])
    ctl = controller(repo, ui, FakeLoop(proposal(OLD, NEW)))
    original = ctl.ui.ask

    def ask(prompt, default="", *, remember=False):
        if prompt.startswith("[a]ccept") and not (repo / "marker").exists():
            (repo / "marker").write_text("")
            (repo / "app.py").write_text("def greet(name):\n    return 'Howdy, ' + name\n")
        return original(prompt, default, remember=remember)

    ctl.ui.ask = ask
    ctl.run()
    assert "not accepted" in ui.text
    assert (repo / "app.py").read_text().endswith("'Howdy, ' + name\n")
    assert [t.status for t in ctl.session.turns] == ["rejected"]


def test_slash_commands(repo):
    ui = ScriptUI(["/add app.py", "/add app.py", "/add missing.py", "/add ../x.py", "/files", "/drop other.py",
                   "/drop app.py", "/files", "/model anthropic:x", "/check", "/check pytest -q", "/check off",
                   "/cost", "/help", "/undo", "/nope", "/quit", "never read"])
    ctl = controller(repo, ui, FakeLoop())
    ctl.run()
    text = ui.text
    assert "pinned app.py" in text and "/add missing.py: no such file" in text and "outside the repository" in text
    assert "/drop other.py: not pinned (pinned: app.py)" in text and "unpinned app.py" in text
    assert "no pinned files" in text
    assert "model for the next turns: label of anthropic:x" in text and ctl.session.model == "anthropic:x"
    assert "check command: true" in text and "check command: pytest -q" in text and "check command cleared" in text
    assert ctl.session.check is None
    assert "0 model call(s)" in text and "/undo" in text and "nothing to undo" in text
    assert "unknown command /nope" in text
    assert ui.answers == ["never read"]
    assert load_last_session(repo / ".git" / "surgeon").model == "anthropic:x"


def test_check_runs_on_a_throwaway_branch_that_is_deleted(repo):
    seen = []

    def gate(staged, command, timeout):
        seen.append((staged.branch, git(repo, "show", f"{staged.commit}:app.py"), command))
        assert rev_parse(repo, f"refs/heads/{staged.branch}") == staged.commit
        return SimpleNamespace(passed=True, timed_out=False, exit_code=0, command=command, seconds=0.1,
                               output_tail="ok")

    before = repo_state(repo)
    ui = ScriptUI(["make greet say Hi", "t", "r"])
    ctl = controller(repo, ui, FakeLoop(proposal(OLD, NEW)), gate=gate)
    ctl.run()
    assert seen == [(f"surgeon/pair-check-{ctl.session.id}-1", NEW.decode(), "true")]
    assert git(repo, "for-each-ref", "refs/heads/surgeon/pair-check-*") == ""
    assert ctl.session.turns[0].check == "passed: true"
    assert repo_state(repo) == before


def test_long_sessions_send_older_turns_as_a_summary(repo):
    answers = []
    for n in range(6):
        answers += [f"instruction number {n + 1}", f"r reason {n + 1}"]
    ui = ScriptUI([*answers, "/cost"])
    loop = FakeLoop(*[proposal(OLD, NEW) for _ in range(6)])
    ctl = controller(repo, ui, loop)
    ctl.session = replace(ctl.session, history_budget=200)
    ctl.run()
    last = loop.requests[-1]
    assert len(last.history) == 2 * ctl.session.keep_last
    first = last.history[0]["content"]
    assert "Summary of the earlier turns" in first
    assert '- turn 1: "instruction number 1" → rejected (app.py +1 -1): reason 1' in first
    assert "- turn 2: " in first and "- turn 3: " not in first and "Instruction:\ninstruction number 3" in first
    assert "(turns 1-2 are sent as a summary" in ui.text
    assert "6 model call(s): 600 input tokens, 60 output tokens, 300 read from cache (33% of prompt tokens), $0.0120" in ui.text


def test_undo_twice_across_a_snapshot_of_the_persons_edits(repo):
    mine = b"# my own line\n"
    hey = NEW.replace(b"Hi", b"Hey")
    ui = ScriptUI(["make greet say Hi", "a", "make greet say Hey", "a", "/undo", "/undo", "/undo"])
    ctl = controller(repo, ui, FakeLoop(proposal(OLD, NEW), proposal(NEW + mine, hey + mine)))
    original = ctl.ui.ask

    def ask(prompt, default="", *, remember=False):
        if prompt == "pair> " and len(ctl.session.turns) == 1 and not ctl.session.turns[0].undone:
            if not (repo / "app.py").read_bytes().endswith(mine):
                (repo / "app.py").write_bytes(NEW + mine)  # the person edits by hand between turns
        return original(prompt, default, remember=remember)

    ctl.ui.ask = ask
    base = ctl.session.base
    branch = f"refs/heads/{ctl.session.branch}"
    ctl.run()
    turn1, turn2 = ctl.session.turns
    # turn 2's commit is exactly its diff: the hand edit is a snapshot commit under it
    assert rev_parse(repo, f"{turn2.commit}^") != turn1.commit
    assert rev_parse(repo, f"{turn2.commit}^^") == turn1.commit
    assert git(repo, "show", f"{turn2.commit}^:app.py").encode() == NEW + mine
    assert "undid turn 2" in ui.text and "undid turn 1" in ui.text and "nothing to undo" in ui.text
    assert (repo / "app.py").read_bytes() == OLD + mine
    assert rev_parse(repo, branch) == base
    assert turn1.undone and turn2.undone


def test_close_deletes_a_branch_with_nothing_accepted_and_keeps_what_is_worth_resuming(repo):
    sessions = repo / ".git" / "surgeon" / "sessions"
    git(repo, "notes", "--ref=surgeon", "add", "-m", "a gate note on the person's own commit", "HEAD")
    empty = controller(repo, ScriptUI(["/add app.py", "/quit"]), FakeLoop())
    empty.run()
    assert empty.close() == Ending(branch_deleted=True, resumable=False)
    assert rev_parse(repo, f"refs/heads/{empty.session.branch}") is None
    assert not (sessions / f"{empty.session.id}.json").exists()
    assert not (repo / ".git" / "surgeon" / "pair" / empty.session.id).exists()
    assert "gate note" in git(repo, "notes", "--ref=surgeon", "show", "HEAD")

    rejected = controller(repo, ScriptUI(["make greet say Hi", "r not now", "^C", "again", None]),
                          FakeLoop(proposal(OLD, NEW), KeyboardInterrupt()))
    rejected.run()
    assert rejected.close() == Ending(branch_deleted=True, resumable=True)
    assert rev_parse(repo, f"refs/heads/{rejected.session.branch}") is None
    assert load_last_session(repo / ".git" / "surgeon").turns == rejected.session.turns

    cancelled_only = controller(repo, ScriptUI(["make greet say Hi"]), FakeLoop(KeyboardInterrupt()))
    cancelled_only.run()
    assert cancelled_only.close() == Ending(branch_deleted=True, resumable=False)
    assert load_last_session(repo / ".git" / "surgeon").id == rejected.session.id

    accepted = controller(repo, ScriptUI(["make greet say Hi", "a"]), FakeLoop(proposal(OLD, NEW)))
    accepted.run()
    assert accepted.close() == Ending(branch_deleted=False, resumable=True)
    assert rev_parse(repo, f"refs/heads/{accepted.session.branch}") == accepted.session.turns[0].commit


def test_close_leaves_an_empty_branch_checked_out_in_a_worktree(repo, tmp_path):
    ctl = controller(repo, ScriptUI([]), FakeLoop())
    git(repo, "worktree", "add", "-q", str(tmp_path / "elsewhere"), ctl.session.branch)
    ctl.run()
    assert ctl.close() == Ending(branch_deleted=False, resumable=True)
    assert rev_parse(repo, f"refs/heads/{ctl.session.branch}") == ctl.session.base
