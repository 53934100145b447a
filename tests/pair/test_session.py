"""The pure core of `surgeon pair`: session state, its JSON form, the conversation the model sees,
and what the person types."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from surgeon.errors import UsageError
from surgeon.pair.commands import Command, normalise_pinned_path, parse_action, parse_input
from surgeon.pair.conversation import build_conversation, outcome_note, summary_line
from surgeon.pair.session import Session, Totals, Turn, new_session, session_from_json, session_to_json
from surgeon.pair.store import load_last_session, save_session

DIFF = "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def count(text: str) -> int:
    return len(text) // 4


def turn(number: int, status: str, **fields) -> Turn:
    base = dict(diff=DIFF, files=("app.py",), lines_added=1, lines_removed=1) if status in (
        "accepted", "rejected", "refined") else {}
    return Turn(number, fields.pop("instruction", f"instruction {number}"), status, **{**base, **fields})


def roles(conversation) -> list[str]:
    return [m["role"] for m in conversation.history]


# -- the conversation ---------------------------------------------------------------------------

def test_first_turn_has_no_history_and_introduces_the_session():
    conversation = build_conversation((), budget=1000, keep_last=3, count_tokens=count)
    assert conversation.history == ()
    assert "pair-programming session" in conversation.preface
    assert conversation.summarised == 0


def test_turns_alternate_and_each_outcome_opens_the_next_message():
    turns = (turn(1, "accepted"), turn(2, "rejected", reason="use a constant instead"))
    conversation = build_conversation(turns, budget=10_000, keep_last=3, count_tokens=count)
    assert roles(conversation) == ["user", "assistant", "user", "assistant"]
    first, reply, second, _ = conversation.history
    assert "pair-programming session" in first["content"] and "instruction 1" in first["content"]
    assert reply["content"] == f"```diff\n{DIFF}```"
    assert second["content"].startswith("The person accepted your diff for turn 1")
    assert "instruction 2" in second["content"]
    assert "pair-programming session" not in second["content"]
    assert "rejected your diff for turn 2 because: use a constant instead" in conversation.preface


def test_history_is_resent_exactly_as_first_sent():
    """Turn k's message must not change when later turns are added (until it is summarised)."""
    turns = [turn(1, "accepted"), turn(2, "rejected", reason="no"), turn(3, "accepted")]
    earlier = build_conversation(turns[:2], budget=10_000, keep_last=3, count_tokens=count)
    later = build_conversation(turns, budget=10_000, keep_last=3, count_tokens=count)
    assert later.history[:4] == earlier.history
    # what turn 3 was sent (history + preface + instruction) is what turn 4 re-sends
    assert later.history[4]["content"].startswith(earlier.preface)


def test_refused_cancelled_and_failed_turns():
    turns = (turn(1, "refused", reason="app.py: hunk 1: context not found"),
             turn(2, "cancelled"), turn(3, "failed", reason="no model"), turn(4, "accepted"))
    conversation = build_conversation(turns, budget=10_000, keep_last=3, count_tokens=count)
    assert roles(conversation) == ["user", "assistant"]
    text = conversation.history[0]["content"]
    assert "Turn 1 (\"instruction 1\") produced no valid diff" in text and "context not found" in text
    assert "instruction 2" not in text and "instruction 3" not in text
    assert "accepted your diff for turn 4" in conversation.preface


def test_a_refused_last_turn_goes_into_the_preface():
    conversation = build_conversation((turn(1, "accepted"), turn(2, "refused", reason="bad hunk")),
                                      budget=10_000, keep_last=3, count_tokens=count)
    assert "accepted your diff for turn 1" in conversation.preface
    assert "Turn 2" in conversation.preface and "bad hunk" in conversation.preface


def test_older_turns_are_summarised_when_over_budget_keeping_the_last_ones():
    long_diff = DIFF + "".join(f"+line {i}\n" for i in range(200))
    turns = tuple(turn(n, "rejected" if n % 2 else "accepted", diff=long_diff,
                       reason=f"reason {n}" if n % 2 else "") for n in range(1, 9))
    conversation = build_conversation(turns, budget=1500, keep_last=2, count_tokens=count)
    assert conversation.summarised > 0
    first = conversation.history[0]["content"]
    assert "Summary of the earlier turns" in first
    assert "- turn 1: \"instruction 1\" → rejected (app.py +1 -1): reason 1" in first
    assert "- turn 2: \"instruction 2\" → accepted (app.py +1 -1)" in first
    assert roles(conversation) == ["user", "assistant"] * (8 - conversation.summarised)
    # within budget, or everything but the kept turns summarised
    assert conversation.tokens <= 1500 or conversation.summarised == 6


def test_keep_last_turns_stay_verbatim_even_over_budget():
    turns = tuple(turn(n, "accepted") for n in range(1, 6))
    conversation = build_conversation(turns, budget=1, keep_last=2, count_tokens=count)
    assert conversation.summarised == 3
    assert len(conversation.history) == 4
    assert "instruction 4" in conversation.history[0]["content"]


def test_summary_lines():
    assert summary_line(turn(3, "accepted", undone=True)).endswith("accepted (app.py +1 -1), later undone by the person")
    assert summary_line(turn(4, "rejected")).endswith("rejected (app.py +1 -1), no reason given")
    assert summary_line(turn(5, "refined", reason="do it in web/")).endswith(
        "set aside; the person refined the instruction to \"do it in web/\"")
    assert "\n" not in summary_line(turn(6, "rejected", instruction="a\nb  c" * 100, reason="x\ny"))
    assert len(summary_line(turn(6, "rejected", instruction="word " * 100))) < 260


def test_outcome_notes():
    assert outcome_note(turn(1, "rejected", reason="  ")) == \
        "The person rejected your diff for turn 1 (no reason given). It was not applied."
    assert "then undid it" in outcome_note(turn(2, "accepted", undone=True))
    assert "refined the instruction" in outcome_note(turn(3, "refined", reason="x"))


# -- what the person types -----------------------------------------------------------------------

def test_parse_input():
    assert parse_input("   ") is None
    assert parse_input(" add a /healthz route ") == "add a /healthz route"
    assert parse_input("//etc is a path") == "/etc is a path"
    assert parse_input("/add  web/a.js ") == Command("/add", "web/a.js")
    assert parse_input("/QUIT") == Command("/quit")
    assert parse_input("/exit") == Command("/quit")
    assert parse_input("/check pytest -q") == Command("/check", "pytest -q")
    with pytest.raises(UsageError, match="unknown command /frobnicate"):
        parse_input("/frobnicate")
    with pytest.raises(UsageError, match="/model needs an argument"):
        parse_input("/model")


def test_parse_action():
    assert parse_action("a") == ("accept", "")
    assert parse_action("Accept") == ("accept", "")
    assert parse_action("r too broad, keep it to web/") == ("reject", "too broad, keep it to web/")
    assert parse_action("e only the CSP") == ("edit", "only the CSP")
    assert parse_action("refine x") == ("edit", "x")
    assert parse_action("d") == ("diff", "")
    assert parse_action("t") == ("test", "")
    assert parse_action("yes") is None
    assert parse_action("") is None


def test_normalise_pinned_path(tmp_path):
    root = tmp_path / "repo"
    assert normalise_pinned_path(root, root / "web", "a.js") == "web/a.js"
    assert normalise_pinned_path(root, root, str(root / "x" / ".." / "b.py")) == "b.py"
    with pytest.raises(UsageError, match="outside the repository"):
        normalise_pinned_path(root, root, "../elsewhere.py")


# -- state and persistence -------------------------------------------------------------------------

def attempt(**fields):
    return SimpleNamespace(**{"input_tokens": 100, "output_tokens": 20, "cache_read_tokens": 0, "cost": 0.01, **fields})


def test_totals_add_up_and_count_unknown_prices():
    totals = Totals().add([attempt(), attempt(cache_read_tokens=300, cost=None)])
    assert (totals.calls, totals.input_tokens, totals.output_tokens, totals.cache_read_tokens) == (2, 200, 40, 300)
    assert totals.cost == 0.01 and totals.calls_without_price == 1
    assert totals.cache_share == pytest.approx(0.6)
    assert Totals().cache_share == 0.0


def test_new_session_branch_name():
    session = new_session("abc", apply=True, model=None, check=None, now=datetime(2025, 3, 4, 5, 6, 7),
                          session_id="1a2b3c")
    assert session.branch == "surgeon/pair-20250304-1a2b3c"
    assert session.next_number == 1


def sample_session() -> Session:
    session = new_session("0" * 40, apply=False, model="anthropic:m", check="pytest -q",
                          now=datetime(2025, 3, 4), session_id="abcdef")
    session = session.pin("a.py").pin("b.py").pin("a.py")
    session = session.with_turn(turn(1, "accepted", commit="1" * 40, parent="0" * 40))
    session = session.with_turn(turn(2, "rejected", reason="why"))
    return replace(session, totals=Totals(calls=2, input_tokens=5, cost=0.5))


def test_session_round_trips_through_json():
    session = sample_session()
    assert session.pinned == ("a.py", "b.py")
    data = json.loads(json.dumps(session_to_json(session)))
    assert session_from_json(data) == session
    assert session.unpin("a.py").pinned == ("b.py",)
    assert session.last_accepted().number == 1
    undone = session.replace_turn(replace(session.turns[0], undone=True))
    assert undone.last_accepted() is None


def test_unknown_session_version_is_a_clear_error():
    data = session_to_json(sample_session()) | {"version": 99}
    with pytest.raises(UsageError, match="version 99 is not supported"):
        session_from_json(data)


def test_save_is_atomic_and_resume_picks_the_latest(tmp_path: Path):
    surgeon_dir = tmp_path / "surgeon"
    with pytest.raises(UsageError, match="no pair session to resume"):
        load_last_session(surgeon_dir)
    older = replace(sample_session(), id="older1", updated="2025-03-05T11:00:00+02:00")
    newer = replace(sample_session(), id="newer2", updated="2025-03-05T10:00:00+00:00")
    save_session(surgeon_dir, newer)
    save_session(surgeon_dir, older)
    assert load_last_session(surgeon_dir).id == "newer2"
    assert sorted(p.name for p in (surgeon_dir / "sessions").iterdir()) == ["newer2.json", "older1.json"]
    (surgeon_dir / "sessions" / "broken.json").write_text("{not json")
    with pytest.raises(UsageError, match="broken.json: unreadable session file"):
        load_last_session(surgeon_dir)


# -- the shape of the package ----------------------------------------------------------------------

def test_every_slash_command_is_a_command_name_and_has_a_handler(tmp_path: Path):
    from typing import get_args

    from surgeon.pair.commands import COMMAND_NAMES, CommandName
    from surgeon.pair.controller import PairContext, PairController

    assert set(get_args(CommandName)) == COMMAND_NAMES
    ctl = PairController(PairContext(tmp_path, tmp_path / "s", tmp_path), sample_session(), None, None,
                         validate_model=str, count_tokens=len)
    assert set(ctl._commands) == COMMAND_NAMES - {"/quit"}  # /quit ends the read loop


def test_pair_imports_point_one_way_and_the_pure_core_imports_no_pair_module():
    import ast
    import graphlib

    folder = Path(__file__).resolve().parents[2] / "surgeon" / "pair"
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[path.stem] = {node.module.removeprefix("surgeon.pair.") for node in ast.walk(tree)
                            if isinstance(node, ast.ImportFrom) and node.module
                            and node.module.startswith("surgeon.pair.")}
    assert graph["session"] == set() and graph["commands"] == set() and graph["conversation"] == {"session"}
    assert graph["__init__"] == set()
    list(graphlib.TopologicalSorter(graph).static_order())  # raises graphlib.CycleError on a cycle
