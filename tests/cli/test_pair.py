"""`surgeon pair` end to end: the real command in a pseudo-terminal (pexpect), the real anthropic
SDK, and the fake model server. After each step: the working tree, the session branch, and the
person's index, HEAD and current branch."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pexpect
import pytest

from tests.fakes.server import Reply
from tests.helpers import GIT_ENV, SURGEON, git, make_repo, repo_state, run_surgeon

APP = '''def greet(name):
    return "Hello, " + name


def farewell(name):
    return "Bye, " + name
'''

GREET_HI = '''```diff
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
 def greet(name):
-    return "Hello, " + name
+    return "Hi, " + name
```'''

FAREWELL_CIAO = '''```diff
--- a/app.py
+++ b/app.py
@@ -5,2 +5,2 @@
 def farewell(name):
-    return "Bye, " + name
+    return "Ciao, " + name
```'''

FAREWELL_GOODBYE = FAREWELL_CIAO.replace("Ciao", "Goodbye")

GREET_WRONG_CONTEXT = '''```diff
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
 def greet(person):
-    return "Hello, " + person
+    return "Hi, " + person
```'''

PROPOSAL = "[d]iff >"
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?|\r")


class Terminal:
    """A pexpect child whose output is matched as plain text (escape sequences removed)."""

    def __init__(self, repo: Path, env: dict[str, str], *args: str) -> None:
        self.raw = ""
        self.pos = 0
        self.child = pexpect.spawn(str(SURGEON), ["pair", "--repo", str(repo), *args],
                                   cwd=str(repo), env=env, encoding="utf-8", dimensions=(50, 200), timeout=10)

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    def expect(self, wanted: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.text
            found = text.find(wanted, self.pos)
            if found >= 0:
                before = text[self.pos:found]
                self.pos = found + len(wanted)
                return before
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"did not see {wanted!r}; output since the last match:\n{text[self.pos:]}")
            try:
                self.raw += self.child.read_nonblocking(65536, timeout=min(0.2, left))
            except pexpect.TIMEOUT:
                continue
            except pexpect.EOF:
                if wanted not in self.text[self.pos:]:
                    raise AssertionError(f"session ended before {wanted!r}:\n{self.text[self.pos:]}") from None

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def turn(self, instruction: str) -> str:
        """Send an instruction, wait for the proposal prompt; return what was shown meanwhile."""
        self.expect("pair>")
        self.send(instruction)
        return self.expect(PROPOSAL)

    def command(self, line: str, wanted: str) -> str:
        self.expect("pair>")
        self.send(line)
        return self.expect(wanted)

    def quit(self) -> None:
        self.expect("pair>")
        self.send("/quit")
        self.expect("Continue with `surgeon pair --resume`")
        self.child.expect(pexpect.EOF, timeout=10)
        self.child.close()
        assert self.child.exitstatus == 0, self.text[-2000:]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "proj", {"app.py": APP, "README.md": "# proj\n"})


@pytest.fixture
def term_env(fake_model) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SURGEON_", "OPENAI_", "ANTHROPIC_")) and k != "PYTEST_CURRENT_TEST"}
    return {**env, **GIT_ENV, **fake_model.env(), "NO_COLOR": "1", "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}


def session_branch(repo: Path) -> str:
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/pair-*").split()
    assert len(branches) == 1, branches
    return branches[0]


def tip(repo: Path, branch: str) -> str:
    return git(repo, "rev-parse", branch).strip()


def app(repo: Path) -> str:
    return (repo / "app.py").read_text()


def last_request_text(fake_model) -> str:
    body = fake_model.requests[-1].body
    def text(content) -> str:  # a plain string, or content blocks (those marked for prompt caching)
        return content if isinstance(content, str) else "\n".join(block["text"] for block in content)

    return "\n".join(text(m["content"]) for m in body["messages"])


def test_accept_reject_with_reason_model_switch_undo_and_resume(repo, fake_model, term_env):
    head = git(repo, "rev-parse", "HEAD").strip()
    t = Terminal(repo, term_env, "--model", "anthropic:fake-one")
    t.expect("session ")
    branch = session_branch(repo)
    assert re.fullmatch(r"surgeon/pair-\d{8}-[0-9a-f]{6}", branch)
    assert tip(repo, branch) == head
    t.command("/add app.py", "pinned app.py")

    # accept: the file changes in the working tree, one commit on the session branch
    fake_model.script([GREET_HI])
    shown = t.turn("make greet say Hi")
    assert '+    return "Hi, " + name' in shown
    t.send("a")
    t.expect("accepted turn 1")
    assert 'return "Hi, " + name' in app(repo)
    turn1 = tip(repo, branch)
    assert git(repo, "rev-parse", f"{turn1}^").strip() == head
    assert git(repo, "show", f"{turn1}:app.py") == app(repo)
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    assert git(repo, "status", "--porcelain").splitlines() == [" M app.py"]
    assert fake_model.requests[-1].body["model"] == "fake-one"

    # reject with a reason: nothing changes
    before = repo_state(repo)
    fake_model.script([FAREWELL_CIAO])
    t.turn("make farewell say Ciao")
    assert "The person accepted your diff for turn 1" in last_request_text(fake_model)
    t.send("r")
    t.expect("reason")
    t.send("we say Goodbye here, not Ciao")
    t.expect("turn 2 rejected")
    assert repo_state(repo) == before
    assert tip(repo, branch) == turn1

    # switch model: the next request names it, and carries the rejection reason
    t.command("/model anthropic:fake-two", "model for the next turns")
    fake_model.script([FAREWELL_GOODBYE])
    t.turn("make farewell friendlier")
    assert fake_model.requests[-1].body["model"] == "fake-two"
    sent = last_request_text(fake_model)
    assert "rejected your diff for turn 2 because: we say Goodbye here, not Ciao" in sent
    assert "make greet say Hi" in sent and "make farewell say Ciao" in sent
    t.send("a")
    t.expect("accepted turn 3")
    assert 'return "Goodbye, " + name' in app(repo) and 'return "Hi, " + name' in app(repo)
    turn3 = tip(repo, branch)
    assert git(repo, "rev-parse", f"{turn3}^").strip() == turn1

    # undo: the working tree and the branch go back to turn 1
    t.command("/undo", "undid turn 3")
    assert app(repo) == APP.replace('"Hello, "', '"Hi, "')
    assert tip(repo, branch) == turn1
    t.command("/cost", "model call(s)")
    t.command("/log", "rejected")
    t.expect("make farewell say Ciao")
    t.expect("accepted (undone)")
    t.child.sendline("/quit")
    t.expect("Continue with `surgeon pair --resume`")
    t.child.expect(pexpect.EOF, timeout=10)
    t.child.close()
    assert t.child.exitstatus == 0

    saved = json.loads(next((repo / ".git" / "surgeon" / "sessions").glob("*.json")).read_text())
    assert saved["branch"] == branch and saved["pinned"] == ["app.py"] and saved["model"] == "anthropic:fake-two"
    assert [turn["status"] for turn in saved["turns"]] == ["accepted", "rejected", "accepted"]
    assert saved["totals"]["calls"] == 3

    # resume: same branch, history, pinned files and model
    r = Terminal(repo, term_env, "--resume")
    r.expect("resumed on branch " + branch)
    r.command("/files", "app.py")
    fake_model.script([FAREWELL_CIAO.replace("Ciao", "See you")])
    r.turn("make farewell say See you")
    assert fake_model.requests[-1].body["model"] == "fake-two"
    sent = last_request_text(fake_model)
    assert "then undid it" in sent and "we say Goodbye here, not Ciao" in sent
    r.send("a")
    r.expect("accepted turn 4")
    assert git(repo, "rev-parse", f"{tip(repo, branch)}^").strip() == turn1
    assert 'return "See you, " + name' in app(repo)
    r.quit()
    assert session_branch(repo) == branch


def test_ctrl_c_cancels_the_model_call_then_a_refused_diff_is_retried(repo, fake_model, term_env):
    t = Terminal(repo, term_env, "--model", "anthropic:fake-one")
    t.command("/add app.py", "pinned app.py")
    before = repo_state(repo)
    branch = session_branch(repo)
    start = tip(repo, branch)
    fake_model.script([Reply(GREET_HI, delay=5), GREET_WRONG_CONTEXT, GREET_HI])
    t.expect("pair>")
    t.send("make greet say Hi")
    t.expect("asking")
    # the readiness marker: the model server holds the request (a Ctrl-C before it would cancel
    # nothing in flight), however slow the machine is
    deadline = time.monotonic() + 60
    while not fake_model.requests:
        assert time.monotonic() < deadline, "the model call never reached the server"
        time.sleep(0.05)
    t.child.sendintr()
    t.expect("turn 1 cancelled: nothing was changed")
    assert repo_state(repo) == before and tip(repo, branch) == start
    # the session goes on: the next turn works, and a refused diff is retried with the reason
    shown = t.turn("make greet say Hi")
    assert "refused attempt 1" in shown
    assert len(fake_model.requests) == 3
    retry = last_request_text(fake_model)
    assert "Your previous diff was not applied" in retry and "app.py" in retry
    assert repo_state(repo) == before and tip(repo, branch) == start
    t.send("a")
    t.expect("accepted turn 2")
    assert 'return "Hi, " + name' in app(repo)
    # at the prompt, Ctrl-C drops the line being typed and Ctrl-D ends the session
    t.expect("pair>")
    t.child.send("half an instruction")
    t.expect("half an instruction")  # the prompt has taken the keys before Ctrl-C drops them
    t.child.sendintr()
    t.child.sendeof()
    t.expect("Continue with `surgeon pair --resume`")
    t.child.expect(pexpect.EOF, timeout=10)
    t.child.close()
    assert t.child.exitstatus == 0
    assert [turn["status"] for turn in json.loads(
        next((repo / ".git" / "surgeon" / "sessions").glob("*.json")).read_text())["turns"]] == ["cancelled", "accepted"]


def test_no_apply_keeps_the_files_and_builds_on_the_branch(repo, fake_model, term_env):
    t = Terminal(repo, term_env, "--model", "anthropic:fake-one", "--no-apply")
    t.expect("--no-apply")
    before = repo_state(repo)
    branch = session_branch(repo)
    t.command("/add app.py", "pinned app.py")
    fake_model.script([GREET_HI])
    t.turn("make greet say Hi")
    t.send("a")
    t.expect("accepted turn 1")
    # the second diff is written against the branch (which has Hi), not the untouched working tree
    fake_model.script([GREET_HI.replace('"Hello, "', '"Hi, "').replace('+    return "Hi, "', '+    return "Hey, "')])
    t.turn("make greet say Hey")
    t.send("a")
    t.expect("accepted turn 2")
    assert repo_state(repo) == before and app(repo) == APP
    assert 'return "Hey, " + name' in git(repo, "show", f"{branch}:app.py")
    assert git(repo, "rev-list", "--count", f"main..{branch}").strip() == "2"
    t.command("/undo", "undid turn 2")
    assert 'return "Hi, " + name' in git(repo, "show", f"{branch}:app.py")
    assert repo_state(repo) == before
    t.quit()
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_never_loses_the_persons_edits(repo, fake_model, term_env):
    t = Terminal(repo, term_env, "--model", "anthropic:fake-one")
    t.expect("started on branch")
    branch = session_branch(repo)
    start = tip(repo, branch)
    t.command("/add app.py", "pinned app.py")

    # the person edits the line the diff changes while the proposal waits: accepting is refused
    fake_model.script([GREET_HI])
    t.turn("make greet say Hi")
    edited = APP.replace('"Hello, "', '"Howdy, "')
    (repo / "app.py").write_text(edited)
    t.send("a")
    t.expect("not accepted")
    assert app(repo) == edited and tip(repo, branch) == start
    t.expect(PROPOSAL)
    t.send("r stale")
    t.expect("rejected")

    # an edit elsewhere in the file is kept: the next proposal is made against it, and accepted
    (repo / "app.py").write_text(APP + "\n\ndef extra():\n    return 1\n")
    fake_model.script([GREET_HI])
    t.turn("make greet say Hi")
    t.send("a")
    t.expect("accepted turn 2")
    assert app(repo) == APP.replace('"Hello, "', '"Hi, "') + "\n\ndef extra():\n    return 1\n"
    turn2 = tip(repo, branch)
    # the person's edit is its own commit under the turn's, so the turn's commit is exactly its diff
    assert "your own edits" in git(repo, "log", "-1", "--format=%s", f"{turn2}^")
    assert git(repo, "diff", f"{turn2}^", turn2).count("\n+") == 2

    # after the person changes the accepted line, /undo refuses and changes nothing
    changed = app(repo).replace('"Hi, "', '"Hi there, "')
    (repo / "app.py").write_text(changed)
    t.command("/undo", "cannot undo turn 2")
    assert app(repo) == changed and tip(repo, branch) == turn2
    t.quit()


def test_check_runs_on_a_throwaway_branch(repo, fake_model, term_env):
    check = f"{sys.executable} -c \"import app; assert app.greet('x') == 'Hi, x'\""
    t = Terminal(repo, term_env, "--model", "anthropic:fake-one", "--check", check)
    t.command("/add app.py", "pinned app.py")
    before = repo_state(repo)
    fake_model.script([GREET_HI, GREET_HI.replace('"Hi, "', '"Yo, "')])
    t.turn("make greet say Hi")
    t.send("t")
    t.expect("passed")
    t.expect(PROPOSAL)
    assert git(repo, "for-each-ref", "refs/heads/surgeon/pair-check-*") == ""
    assert repo_state(repo) == before
    t.send("r")
    t.expect("reason")
    t.send("")
    t.expect("rejected")
    t.turn("make greet say Yo")
    t.send("t")
    t.expect("failed")
    t.expect(PROPOSAL)
    fake_model.add(GREET_HI)
    t.send("e make greet say Hi, really")
    t.expect("asking")
    t.expect(PROPOSAL)
    assert "refined the instruction" in last_request_text(fake_model)
    t.send("a")
    t.expect("accepted turn 3")
    t.quit()


TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
SETTINGS = f'API_TOKEN = "{TOKEN}"\nTIMEOUT = 30\n'
TIMEOUT_10 = '''```diff
--- a/settings.py
+++ b/settings.py
@@ -1,2 +1,2 @@
 API_TOKEN = "<<SECRET_1>>"
-TIMEOUT = 30
+TIMEOUT = 10
```'''


def test_piped_input_secrets_in_history_and_clear_errors(repo, fake_model, term_env):
    """Without a terminal the session reads plain lines. An accepted diff whose context holds a
    secret is sent back in later turns with the secret replaced by its placeholder."""
    (repo / "settings.py").write_text(SETTINGS)
    git(repo, "add", "settings.py")
    git(repo, "commit", "-q", "-m", "settings")
    fake_model.script([TIMEOUT_10, GREET_HI])
    env = {**fake_model.env()}
    run = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=env,
                      input="/frobnicate\n/add nope.py\n/add settings.py\nset the timeout to 10\na\n"
                            "/add app.py\nmake greet say Hi\na\n/log\n")
    assert run.code == 0, run.stderr
    assert "unknown command /frobnicate" in run.stderr
    assert "/add nope.py: no such file" in run.stderr
    assert "accepted turn 1" in run.stderr and "accepted turn 2" in run.stderr
    session = json.loads(run.stdout)
    assert [t["status"] for t in session["turns"]] == ["accepted", "accepted"]
    assert session["pinned"] == ["settings.py", "app.py"] and session["totals"]["calls"] == 2
    assert git(repo, "rev-list", "--count", f"main..{session['branch']}").strip() == "2"
    assert (repo / "settings.py").read_text() == SETTINGS.replace("30", "10")
    assert 'return "Hi, " + name' in app(repo)
    assert TOKEN not in fake_model.all_text()
    assert 'API_TOKEN = "<<SECRET_1>>"\n-TIMEOUT = 30' in last_request_text(fake_model)

    no_model = run_surgeon("pair", cwd=repo, input="")
    assert no_model.code == 2 and "no model configured" in no_model.stderr
    resumed = run_surgeon("pair", "--resume", "--no-apply", cwd=repo, env=env, input="")
    assert resumed.code == 2 and "resume it without --no-apply" in resumed.stderr


def pair_branches(repo: Path) -> list[str]:
    return git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/pair-*").split()


def session_files(repo: Path) -> list[str]:
    folder = repo / ".git" / "surgeon" / "sessions"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def test_a_session_that_ends_with_nothing_accepted_deletes_its_branch(repo, fake_model):
    """End of piped input and /quit both end a session. With no accepted turn its branch is
    deleted; its session file stays only when --resume has something to continue, and an empty
    session never becomes the one --resume continues."""
    env = fake_model.env()
    fake_model.script([GREET_HI])
    first = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=env,
                        input="/add app.py\nmake greet say Hi\na\n")
    assert first.code == 0, first.stderr
    kept = json.loads(first.stdout)
    assert pair_branches(repo) == [kept["branch"]] and session_files(repo) == [kept["id"]]

    for piped in ("", "/add app.py\n/model anthropic:fake-two\n/quit\n"):
        empty = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=env, input=piped)
        assert empty.code == 0, empty.stderr
        ended = json.loads(empty.stdout)
        assert pair_branches(repo) == [kept["branch"]] and session_files(repo) == [kept["id"]]
        assert ended["branch_deleted"] is True and ended["resumable"] is False
        assert "ended with nothing to keep" in empty.stderr and ended["branch"] in empty.stderr

    assert kept["branch_deleted"] is False and kept["resumable"] is True
    resumed = run_surgeon("pair", "--resume", cwd=repo, env=env, input="")
    assert resumed.code == 0 and f"resumed on branch {kept['branch']}" in resumed.stdout
    assert pair_branches(repo) == [kept["branch"]]

    # a rejected turn is worth resuming: the branch goes, the session file stays
    fake_model.script([FAREWELL_CIAO])
    rejected = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=env,
                           input="/add app.py\nmake farewell say Ciao\nr we say Goodbye\n")
    assert rejected.code == 0, rejected.stderr
    later = json.loads(rejected.stdout)
    assert later["branch_deleted"] is True and later["resumable"] is True
    assert "none accepted" in rejected.stderr and "Continue with `surgeon pair --resume`" in rejected.stderr
    assert pair_branches(repo) == [kept["branch"]] and session_files(repo) == sorted([kept["id"], later["id"]])

    # --resume continues it on a new branch from HEAD, with its history
    fake_model.script([FAREWELL_GOODBYE])
    again = run_surgeon("pair", "--resume", "--json", cwd=repo, env=env, input="make farewell say Goodbye\na\n")
    assert again.code == 0, again.stderr
    assert "rejected your diff for turn 1 because: we say Goodbye" in last_request_text(fake_model)
    resumed_session = json.loads(again.stdout)
    assert resumed_session["id"] == later["id"] and resumed_session["branch_deleted"] is False
    assert resumed_session["base"] == git(repo, "rev-parse", "HEAD").strip()
    assert sorted(pair_branches(repo)) == sorted([kept["branch"], later["branch"]])
    # on top of HEAD: the first session's uncommitted "Hi" (a snapshot of the person's files), then the turn
    subjects = git(repo, "log", "--format=%s", f"HEAD..{later['branch']}").splitlines()
    assert subjects == ["pair turn 2: make farewell say Goodbye", "pair turn 2: your own edits to app.py"]


def test_a_running_session_is_listed_kept_by_discard_and_ctrl_d_deletes_it_once_empty(repo, fake_model, term_env):
    t = Terminal(repo, term_env, "--model", "anthropic:fake-one")
    t.expect("started on branch")
    branch = session_branch(repo)
    sid = branch.rsplit("-", 1)[1]
    t.command("/add app.py", "pinned app.py")
    fake_model.script([GREET_HI])
    t.turn("make greet say Hi")
    t.send("a")
    t.expect("accepted turn 1")

    listed = run_surgeon("branches", "--json", cwd=repo)
    assert listed.code == 0, listed.stderr
    (row,) = json.loads(listed.stdout)["branches"]
    assert row["kind"] == "pair" and row["id"] == sid and row["branch"] == branch
    assert row["session"]["running"] is True and row["session"]["turns_accepted"] == 1
    assert row["files"] == ["app.py"] and (row["lines_added"], row["lines_removed"]) == (1, 1)
    table = run_surgeon("branches", cwd=repo)
    assert "Pair sessions" in table.stdout and branch in table.stdout and "running" in table.stdout

    refused = run_surgeon("discard", sid, cwd=repo)
    assert refused.code == 1 and "`surgeon pair` is running this session now" in refused.stderr
    everything = run_surgeon("discard", "--all", cwd=repo)
    assert everything.code == 0 and f"Kept pair session {branch}: `surgeon pair` is running it now" in everything.stdout
    assert pair_branches(repo) == [branch]

    # undoing the only accepted turn leaves the branch where it started: Ctrl-D deletes it
    t.command("/undo", "undid turn 1")
    t.expect("pair>")
    t.child.sendeof()
    t.expect(f"none accepted, so its empty branch {branch} was deleted")
    t.child.expect(pexpect.EOF, timeout=10)
    t.child.close()
    assert t.child.exitstatus == 0
    assert pair_branches(repo) == [] and session_files(repo) == [sid]
    assert json.loads(run_surgeon("branches", "--json", cwd=repo).stdout) == {"branches": []}
    assert not (repo / ".git" / "surgeon" / "pair" / sid / "running").exists()


GREETINGS = 'HELLO = "Hello, "\n'
GREETINGS_HI = '''```diff
--- a/greetings.py
+++ b/greetings.py
@@ -1 +1 @@
-HELLO = "Hello, "
+HELLO = "Hi, "
```'''


def test_a_pair_turn_reads_more_context_before_it_answers(repo, fake_model):
    """The pair turn runs the edit loop: the model reads a file it was not shown, which enters the
    turn's scope, and its diff on that file is accepted."""
    from tests.fakes.server import tool_use

    (repo / "greetings.py").write_text(GREETINGS)
    git(repo, "add", "greetings.py")
    git(repo, "commit", "-q", "-m", "greetings")
    fake_model.script([tool_use("read_lines", {"path": "greetings.py", "start_line": 1, "end_line": 1}), GREETINGS_HI])
    run = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=fake_model.env(),
                      input="make greet say Hi\na\n")
    assert run.code == 0, run.stderr
    assert "accepted turn 1" in run.stderr
    assert (repo / "greetings.py").read_text() == 'HELLO = "Hi, "\n'
    [result] = fake_model.requests[1].tool_results()
    assert result["content"].endswith('   1|HELLO = "Hello, "') and not result["is_error"]
