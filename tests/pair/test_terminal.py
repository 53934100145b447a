"""The `surgeon pair` terminal as a person meets it: the installed console script in a real
pseudo-terminal (pexpect), the real anthropic SDK and the fake model server. Tab completion,
the bottom toolbar, single-key answers, each turn's cost, numbered diffs with the changed words
marked, and files the model read carried into the next turn."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pexpect
import pytest

from tests.cli.test_pair import APP, GREET_HI, PROPOSAL, Terminal, last_request_text
from tests.fakes.server import Reply, tool_use
from tests.helpers import GIT_ENV, git, make_repo, run_surgeon

PRICED = '[pricing."anthropic:fake-one"]\ninput = 3.0\noutput = 15.0\n'
USAGE = {"input_tokens": 1000, "output_tokens": 100}  # $0.0030 + $0.0015 at the price above

GREETINGS = 'HELLO = "Hello, "\n'
GREETINGS_HI = '''```diff
--- a/src/greetings.py
+++ b/src/greetings.py
@@ -1 +1 @@
-HELLO = "Hello, "
+HELLO = "Hi, "
```'''


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "proj", {
        "app.py": APP, "README.md": "# proj\n", "src/greetings.py": GREETINGS, "src/grammar.py": "RULES = []\n",
        ".env": "API_KEY=abc\n", "apple.txt": "green\n",
    })


class Tty(Terminal):
    """A pseudo-terminal that answers cursor position requests (ESC [6n) as a terminal does, so
    prompt_toolkit knows the room below the prompt and draws its bottom toolbar and menus."""

    def __init__(self, repo: Path, env: dict[str, str], *args: str) -> None:
        super().__init__(repo, env, *args)
        read = self.child.read_nonblocking

        def answering(size: int = 1, timeout: float | None = -1) -> str:
            data = read(size, timeout)
            for _ in range(data.count("\x1b[6n")):
                self.child.send("\x1b[5;1R")
            return data

        self.child.read_nonblocking = answering


def env_for(fake_model, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURGEON_", "OPENAI_", "ANTHROPIC_", "PROMPT_"))
           and k != "PYTEST_CURRENT_TEST"}
    return {**env, **GIT_ENV, **fake_model.env(), "TERM": "xterm", **extra}


@pytest.fixture
def term_env(fake_model) -> dict[str, str]:
    return env_for(fake_model, NO_COLOR="1")


def end(t: Terminal) -> None:
    t.send("/quit")  # typed keys wait in the terminal for the next prompt (a Ctrl-D between prompts would not)
    t.child.expect(pexpect.EOF, timeout=10)
    t.child.close()
    assert t.child.exitstatus == 0, t.text[-2000:]


def test_tab_completes_commands_and_repository_paths(repo, fake_model, term_env):
    t = Tty(repo, term_env, "--model", "anthropic:fake-one")
    t.expect("pair>")
    t.child.send("/ad")
    t.expect("pin a file")  # the command menu opens as a command is typed
    t.child.send("\t src/gre\t\r")
    t.expect("pinned src/greetings.py")  # "/ad" Tab " src/gre" Tab was "/add src/greetings.py"
    # a folder completes one level at a time ("sr" -> "src/"), then a file in it; Tab completes at
    # once, so keys typed ahead (or pasted) do not race it
    t.expect("pair>")
    t.child.send("/add sr\tgram\t\r")
    t.expect("pinned src/grammar.py")
    # when no path starts with what was typed, the one that holds it
    t.expect("pair>")
    t.child.send("/add ppl\t\r")
    t.expect("pinned apple.txt")
    # /drop completes the session's own files; a command name completes without its menu too
    t.expect("pair>")
    t.child.send("/dr\t src/gra\t\r")
    t.expect("unpinned src/grammar.py")
    # several candidates: Tab inserts what they share, the next Tab shows them
    t.expect("pair>")
    t.child.send("/add src/g\t")
    t.expect("/add src/gr")
    t.child.send("\t")
    t.expect("src/grammar.py")
    t.expect("src/greetings.py")
    t.child.send("\x15\r")  # Ctrl-U drops the line; Enter on nothing asks again
    end(t)


def test_completion_never_offers_secret_files_or_git(repo):
    from surgeon.pair.completion import addable_paths, complete

    (repo / ".surgeonignore").write_text("private/\n")
    (repo / "private").mkdir()
    (repo / "private" / "notes.txt").write_text("x\n")
    (repo / "ignored.log").write_text("x\n")
    (repo / ".gitignore").write_text("*.log\n")
    os.symlink("app.py", repo / "link.py")
    paths = addable_paths(repo)
    assert "app.py" in paths and "src/greetings.py" in paths and ".gitignore" in paths
    assert ".env" not in paths and "private/notes.txt" not in paths and "ignored.log" not in paths
    assert "link.py" not in paths and not any(p.startswith(".git/") for p in paths)
    offered = [c.text for c in complete("/add ", lambda: paths, lambda: [])]
    assert ".env" not in offered and "src/" in offered and ".git/" not in offered
    assert [c.text for c in complete("/add .e", lambda: paths, lambda: [])] == []
    assert [c.text for c in complete("/q", lambda: paths, lambda: [])] == ["/quit"]
    assert complete("make it /add", lambda: paths, lambda: []) == []


def test_toolbar_single_key_accept_cost_and_numbered_diff(repo, fake_model, term_env):
    (repo / ".surgeon.toml").write_text(PRICED)
    git(repo, "add", ".surgeon.toml")
    git(repo, "commit", "-q", "-m", "prices")
    t = Tty(repo, term_env, "--model", "anthropic:fake-one")
    t.expect("started on branch ")
    branch = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/pair-*").strip()
    t.expect(f"fake-one · {branch} · 0 accepted · $0.0000 so far")  # the toolbar, below the prompt
    t.send("/add app.py")
    t.expect("pinned app.py")
    fake_model.script([Reply(GREET_HI, usage=USAGE)])
    t.expect("pair>")
    t.send("make greet say Hi")
    shown = t.expect(PROPOSAL)
    # the diff with old and new line numbers in a gutter
    assert re.search(r"^\s+1\s+1 │ def greet\(name\):$", shown, re.M), shown
    assert re.search(r'^\s+2\s+│-    return "Hello, " \+ name$', shown, re.M), shown
    assert re.search(r'^\s+2 │\+    return "Hi, " \+ name$', shown, re.M), shown
    assert "turn 1: 1 model call(s), 1000 input / 100 output tokens, cost $0.0045" in shown
    t.child.send("a")  # one key, no Enter
    t.expect("accepted turn 1")
    assert 'return "Hi, " + name' in (repo / "app.py").read_text()
    t.expect(f"fake-one · {branch} · 1 accepted · $0.0045 so far")
    end(t)


def test_changed_words_are_marked_in_colour(repo, fake_model):
    t = Tty(repo, env_for(fake_model), "--model", "anthropic:fake-one")
    t.command("/add app.py", "pinned app.py")
    fake_model.script([GREET_HI])
    t.expect("pair>")
    t.send("make greet say Hi")
    t.expect(PROPOSAL)
    # only the changed word is in bold reverse video, on the red line and on the green one
    assert '\x1b[31m-    return "\x1b[0m\x1b[1;7;31mHello\x1b[0m\x1b[31m, " + name' in t.raw, t.raw[-3000:]
    assert '\x1b[32m+    return "\x1b[0m\x1b[1;7;32mHi\x1b[0m\x1b[32m, " + name' in t.raw, t.raw[-3000:]
    assert "unknown" in t.text  # no price for fake-one
    t.child.send("r")
    t.expect("reason")
    t.send("")
    t.expect("turn 1 rejected")
    end(t)


def test_single_keys_show_refine_and_ctrl_c_rejects(repo, fake_model, term_env):
    t = Tty(repo, term_env, "--model", "anthropic:fake-one")
    t.command("/add app.py", "pinned app.py")
    fake_model.script([GREET_HI, GREET_HI])
    t.turn("make greet say Hi")
    t.child.send("d")  # the diff again, numbered
    t.expect("diff --git a/app.py b/app.py")
    again = t.expect(PROPOSAL)
    assert re.search(r'^\s+2 │\+    return "Hi, " \+ name$', again, re.M), again
    t.child.send("x")  # not an answer: typed as text, Enter shows the choices
    t.child.send("\r")
    t.expect("a accept · r [reason] reject")
    t.expect(PROPOSAL)
    t.child.send("e")
    t.expect("refine>")
    t.child.send(" in app.py only\r")  # the instruction is there to edit
    t.expect(PROPOSAL)
    assert "make greet say Hi in app.py only" in last_request_text(fake_model)
    t.child.sendintr()
    t.expect("turn 2 rejected (Ctrl-C); nothing was changed")
    assert (repo / "app.py").read_text() == APP
    end(t)


def test_keys_that_arrive_with_more_text_are_read_as_a_line(repo, fake_model, term_env):
    """A pasted or scripted answer (`r reason` + Enter in one burst) is the line-based answer."""
    t = Tty(repo, term_env, "--model", "anthropic:fake-one")
    t.command("/add app.py", "pinned app.py")
    fake_model.script([GREET_HI])
    t.turn("make greet say Hi")
    t.send("r keep Hello")
    t.expect("turn 1 rejected")
    t.command("/log", "keep Hello")
    end(t)


def test_files_read_through_context_tools_are_in_the_next_turns_scope(repo, fake_model, term_env):
    """Turn 1: the model reads src/greetings.py and proposes a change to app.py. Turn 2, whose
    instruction names nothing the locator would find in that file, may edit it."""
    fake_model.script([tool_use("read_lines", {"path": "src/greetings.py", "start_line": 1, "end_line": 1}),
                       GREET_HI, GREETINGS_HI])
    t = Tty(repo, term_env, "--model", "anthropic:fake-one")
    t.command("/add app.py", "pinned app.py")
    t.turn("make greet say Hi")
    t.child.send("a")
    t.expect("accepted turn 1")
    t.command("/files", "read by the model last turn")
    t.expect("src/greetings.py")
    t.expect("pair>")
    t.send("and the same for the constant")
    shown = t.expect(PROPOSAL)
    assert "also shown (the model read them last turn): src/greetings.py" in shown
    assert "=== src/greetings.py" in last_request_text(fake_model)
    t.child.send("a")
    t.expect("accepted turn 2")
    assert (repo / "src" / "greetings.py").read_text() == 'HELLO = "Hi, "\n'
    end(t)


def test_piped_answers_are_unchanged_and_show_the_cost(repo, fake_model):
    fake_model.script([GREET_HI])
    run = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=fake_model.env(),
                      input="/add app.py\nmake greet say Hi\naccept\n")
    assert run.code == 0, run.stderr
    assert "accepted turn 1" in run.stderr
    assert "turn 1: 1 model call(s)" in run.stderr and "cost unknown" in run.stderr
    assert re.search(r'^\s+2 │\+    return "Hi, " \+ name$', run.stderr, re.M), run.stderr
    assert json.loads(run.stdout)["turns"][0]["status"] == "accepted"
