"""The conversation the model sees in a pair session: the earlier turns as messages (verbatim
recent turns, one-line summaries of older ones) and the notes that open the next instruction.

Pure: turns in, messages out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from surgeon import prompt as prompts
from surgeon.pair.session import Turn

SUMMARY_WIDTH = 160  # characters of an instruction or reason kept in a one-line summary


def one_line(text: str, width: int = SUMMARY_WIDTH) -> str:
    """`text` on one line, cut to `width` characters (with an ellipsis)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def summary_line(turn: Turn) -> str:
    """A finished turn in one line: the instruction and what became of it, with the reason."""
    head = f"turn {turn.number}: \"{one_line(turn.instruction)}\""
    files = f"{', '.join(turn.files)} +{turn.lines_added} -{turn.lines_removed}" if turn.files else ""
    if turn.status == "accepted":
        tail = f"accepted ({files})" + (", later undone by the person" if turn.undone else "")
    elif turn.status == "rejected":
        tail = f"rejected ({files})" + (f": {one_line(turn.reason)}" if turn.reason else ", no reason given")
    elif turn.status == "refined":
        tail = f"set aside; the person refined the instruction to \"{one_line(turn.reason)}\""
    elif turn.status == "refused":
        tail = f"no valid diff: {one_line(turn.reason)}"
    else:
        tail = turn.status
    return f"- {head} → {tail}"


def outcome_note(turn: Turn) -> str:
    """What the person did with a proposed diff, told to the model in the next message."""
    n = turn.number
    if turn.status == "accepted" and turn.undone:
        return (f"The person accepted your diff for turn {n}, then undid it: that change is no longer "
                "in the files.")
    if turn.status == "accepted":
        return f"The person accepted your diff for turn {n}; it is now in the files."
    if turn.status == "rejected":
        why = f" because: {turn.reason.strip()}" if turn.reason.strip() else " (no reason given)"
        return f"The person rejected your diff for turn {n}{why}. It was not applied."
    if turn.status == "refined":
        return f"The person set your diff for turn {n} aside and refined the instruction. It was not applied."
    return ""


def refused_note(turn: Turn) -> str:
    return (f"Turn {turn.number} (\"{one_line(turn.instruction)}\") produced no valid diff, so nothing was "
            f"applied. The reasons: {one_line(turn.reason, 400)}")


def with_preface(preface: str, body: str) -> str:
    """A user message: the session notes, then the instruction (the edit loop composes the
    current turn's message the same way, so earlier turns are re-sent exactly as first sent)."""
    return f"{preface.rstrip()}\n\n{body}" if preface.strip() else body


@dataclass(frozen=True)
class Conversation:
    history: tuple[dict[str, str], ...]  # earlier turns: user/assistant messages, alternating
    preface: str  # notes that open the next instruction's message
    summarised: int  # how many older turns are in the summary instead of verbatim
    tokens: int


def _render(turns: Sequence[Turn], summarised: int) -> tuple[list[dict[str, str]], str]:
    notes: list[str] = []
    if summarised:
        lines = "\n".join(summary_line(t) for t in turns[:summarised])
        notes.append(f"Summary of the earlier turns of this session:\n{lines}")
    history: list[dict[str, str]] = []
    for turn in turns[summarised:]:
        if turn.proposed:
            user = with_preface(_session_notes(first=not history, notes=notes),
                                prompts.render("edit_request", instruction=turn.instruction))
            history += [{"role": "user", "content": user},
                        {"role": "assistant", "content": f"```diff\n{turn.diff}```"}]
            notes = [outcome_note(turn)]
        else:
            notes.append(refused_note(turn))
    return history, _session_notes(first=not history, notes=notes)


def _session_notes(*, first: bool, notes: Sequence[str]) -> str:
    parts = [prompts.template("pair").strip()] if first else []
    parts += [n for n in notes if n]
    return "\n\n".join(parts)


def build_conversation(turns: Sequence[Turn], *, budget: int, keep_last: int,
                       count_tokens: Callable[[str], int]) -> Conversation:
    """The earlier turns as messages. Turns the model never answered (cancelled, failed) are left
    out. When the messages exceed `budget` tokens, the oldest turns become one-line summaries
    (instruction, outcome, reason), always keeping the last `keep_last` turns verbatim."""
    relevant = [t for t in turns if t.proposed or t.status == "refused"]
    most = max(0, len(relevant) - keep_last)
    summarised = 0
    while True:
        history, preface = _render(relevant, summarised)
        tokens = sum(count_tokens(m["content"]) for m in history) + count_tokens(preface)
        if tokens <= budget or summarised >= most:
            return Conversation(tuple(history), preface, summarised, tokens)
        summarised += 1
