"""`surgeon pair`: an interactive session, one reviewed diff per turn.

Three layers, in this order in the file:

1. The pure core: the session state (frozen dataclasses), its JSON form, the conversation the
   model sees (verbatim recent turns, one-line summaries of older ones), and parsing of what the
   person types. Text in, values out.
2. The git and file edges: the session branch (commits built with a temporary index, like
   stage does), applying an accepted diff to the working tree without losing work, undo, the
   throwaway branch a `t` check runs on, the session file under .git/surgeon/sessions/, and what
   happens when a session ends (see end_session).
3. PairController: one session driven through a small UI protocol (the terminal one lives in
   surgeon/commands/pair.py), so a turn can be tested without a terminal.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from surgeon import prompt as prompts
from surgeon.errors import Refused, RepoError, SurgeonError, UsageError

SESSION_VERSION = 1
DEFAULT_HISTORY_BUDGET = 6000  # tokens of earlier turns sent with each instruction
DEFAULT_KEEP_LAST = 3  # turns always sent verbatim, however long
SUMMARY_WIDTH = 160  # characters of an instruction or reason kept in a one-line summary

# ------------------------------------------------------------------------------------------------
# 1. The pure core
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """Tokens and cost of every model call the session made (cancelled calls are not counted:
    their usage never came back)."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float = 0.0
    calls_without_price: int = 0

    def add(self, attempts: Sequence[Any]) -> Totals:
        """Add the attempts of one EditOutcome (each has tokens and a cost, None when unknown)."""
        priced = [a.cost for a in attempts if a.cost is not None]
        return Totals(
            calls=self.calls + len(attempts),
            input_tokens=self.input_tokens + sum(a.input_tokens for a in attempts),
            output_tokens=self.output_tokens + sum(a.output_tokens for a in attempts),
            cache_read_tokens=self.cache_read_tokens + sum(a.cache_read_tokens for a in attempts),
            cost=round(self.cost + sum(priced), 6),
            calls_without_price=self.calls_without_price + len(attempts) - len(priced),
        )

    @property
    def cache_share(self) -> float:
        """Share of prompt tokens served from the provider's cache."""
        prompt = self.input_tokens + self.cache_read_tokens
        return self.cache_read_tokens / prompt if prompt else 0.0


@dataclass(frozen=True)
class Turn:
    """One instruction and what became of it.

    status: "accepted" | "rejected" | "refined" (set aside for a refined instruction) |
    "refused" (no valid diff after every attempt) | "cancelled" (Ctrl-C during the model call) |
    "failed" (an error stopped the turn, e.g. no model configured).
    """

    number: int
    instruction: str
    status: str
    diff: str = ""  # the validated, normalised diff that was proposed ("" when none)
    files: tuple[str, ...] = ()
    lines_added: int = 0
    lines_removed: int = 0
    reason: str = ""  # why rejected, the refusal reasons, the refined instruction, or the error
    model: str = ""
    commit: str | None = None  # the turn's commit on the session branch, when accepted
    parent: str | None = None  # the session branch tip before the turn, when accepted
    undone: bool = False
    check: str = ""  # outcome of a `t` check on the proposal, e.g. "passed: pytest -q"
    at: str = ""

    @property
    def proposed(self) -> bool:
        return bool(self.diff) and self.status in ("accepted", "rejected", "refined")


@dataclass(frozen=True)
class Session:
    id: str
    branch: str
    base: str  # the commit the session branch started from
    apply: bool  # accepted diffs are written to the working tree (False with --no-apply)
    created: str
    updated: str = ""
    model: str | None = None  # provider:name override; None = the configured model for "pair"
    check: str | None = None
    pinned: tuple[str, ...] = ()
    turns: tuple[Turn, ...] = ()
    totals: Totals = field(default_factory=Totals)
    history_budget: int = DEFAULT_HISTORY_BUDGET
    keep_last: int = DEFAULT_KEEP_LAST

    @property
    def next_number(self) -> int:
        return len(self.turns) + 1

    def with_turn(self, turn: Turn) -> Session:
        return replace(self, turns=(*self.turns, turn))

    def replace_turn(self, turn: Turn) -> Session:
        return replace(self, turns=tuple(turn if t.number == turn.number else t for t in self.turns))

    @property
    def worth_resuming(self) -> bool:
        """Whether `--resume` would have something to continue: a turn the model's conversation
        includes (a proposal, or a refusal). Pinned files and a chosen model alone are cheap to set
        again; cancelled and failed turns are never sent to the model."""
        return any(t.proposed or t.status == "refused" for t in self.turns)

    def last_accepted(self) -> Turn | None:
        """The turn /undo reverts: the latest accepted turn not undone yet."""
        for turn in reversed(self.turns):
            if turn.status == "accepted" and not turn.undone:
                return turn
        return None

    def pin(self, path: str) -> Session:
        return replace(self, pinned=tuple(dict.fromkeys((*self.pinned, path))))

    def unpin(self, path: str) -> Session:
        return replace(self, pinned=tuple(p for p in self.pinned if p != path))


def new_session(base: str, *, apply: bool, model: str | None, check: str | None, now: datetime,
                session_id: str | None = None, history_budget: int = DEFAULT_HISTORY_BUDGET) -> Session:
    sid = session_id or secrets.token_hex(3)
    stamp = now.isoformat(timespec="seconds")
    return Session(id=sid, branch=f"surgeon/pair-{now:%Y%m%d}-{sid}", base=base, apply=apply, created=stamp,
                   updated=stamp, model=model, check=check, history_budget=history_budget)


def session_to_json(session: Session) -> dict[str, Any]:
    data = asdict(session)
    data["version"] = SESSION_VERSION
    return data


def session_from_json(data: dict[str, Any]) -> Session:
    if data.get("version") != SESSION_VERSION:
        raise UsageError(f"session file version {data.get('version')!r} is not supported (expected {SESSION_VERSION})")
    turns = tuple(Turn(**{**t, "files": tuple(t.get("files", ()))}) for t in data.get("turns", ()))
    fields = {k: v for k, v in data.items() if k not in ("version", "turns", "totals", "pinned")}
    return Session(**fields, pinned=tuple(data.get("pinned", ())), turns=turns,
                   totals=Totals(**data.get("totals", {})))


# -- the conversation the model sees --------------------------------------------------------------


def _one_line(text: str, width: int = SUMMARY_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def summary_line(turn: Turn) -> str:
    """A finished turn in one line: the instruction and what became of it, with the reason."""
    head = f"turn {turn.number}: \"{_one_line(turn.instruction)}\""
    files = f"{', '.join(turn.files)} +{turn.lines_added} -{turn.lines_removed}" if turn.files else ""
    if turn.status == "accepted":
        tail = f"accepted ({files})" + (", later undone by the person" if turn.undone else "")
    elif turn.status == "rejected":
        tail = f"rejected ({files})" + (f": {_one_line(turn.reason)}" if turn.reason else ", no reason given")
    elif turn.status == "refined":
        tail = f"set aside; the person refined the instruction to \"{_one_line(turn.reason)}\""
    elif turn.status == "refused":
        tail = f"no valid diff: {_one_line(turn.reason)}"
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
    return (f"Turn {turn.number} (\"{_one_line(turn.instruction)}\") produced no valid diff, so nothing was "
            f"applied. The reasons: {_one_line(turn.reason, 400)}")


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


# -- what the person types -------------------------------------------------------------------------

SLASH_COMMANDS: dict[str, str] = {
    "/add PATH": "pin a file: it is always shown to the model",
    "/drop PATH": "unpin a file",
    "/files": "list the pinned files",
    "/undo": "revert the last accepted turn (session branch and working tree)",
    "/model NAME": "switch model, e.g. /model anthropic:claude-sonnet-5-5",
    "/cost": "tokens, cache reads and cost so far",
    "/check CMD": "set the check command that `t` runs (/check off to clear; /check alone shows it)",
    "/log": "the turns so far",
    "/help": "this help",
    "/quit": "end the session (Ctrl-D too); `surgeon pair --resume` continues it",
}
_COMMAND_NAMES = {spec.split()[0] for spec in SLASH_COMMANDS}
_NEEDS_ARGUMENT = {"/add", "/drop", "/model"}


@dataclass(frozen=True)
class Command:
    name: str  # "/add" ...
    argument: str = ""


def parse_input(line: str) -> Command | str | None:
    """A slash command, an instruction (str), or None for an empty line.

    Raises UsageError for an unknown command or a missing argument."""
    text = line.strip()
    if not text:
        return None
    if not text.startswith("/") or text.startswith("//"):
        return text[1:] if text.startswith("//") else text
    name, _, argument = text.partition(" ")
    name = name.lower()
    if name == "/exit":
        name = "/quit"
    if name not in _COMMAND_NAMES:
        raise UsageError(f"unknown command {name}; /help lists them (start a line with // to send a literal /)")
    if name in _NEEDS_ARGUMENT and not argument.strip():
        spec = next(s for s in SLASH_COMMANDS if s.split()[0] == name)
        raise UsageError(f"{name} needs an argument: {spec}")
    return Command(name, argument.strip())


ACTIONS = {"a": "accept", "r": "reject", "t": "test", "e": "edit", "d": "diff"}


def parse_action(text: str) -> tuple[str, str] | None:
    """`a`, `r [reason]`, `t`, `e [refined instruction]`, `d` (or the words) -> (action, rest)."""
    word, _, rest = text.strip().partition(" ")
    word = word.lower()
    for key, name in ACTIONS.items():
        if word in (key, name) or (name == "edit" and word == "refine"):
            return name, rest.strip()
    return None


def normalise_pinned_path(root: Path, cwd: Path, path: str) -> str:
    """A path typed by the person (relative to where they are, or absolute) as a repo-relative
    posix path. Raises UsageError when it is outside the repository."""
    target = Path(path).expanduser()
    if not target.is_absolute():
        target = cwd / target
    target = Path(os.path.normpath(target))
    try:
        return target.relative_to(root).as_posix()
    except ValueError:
        raise UsageError(f"{path} is outside the repository {root}") from None


# ------------------------------------------------------------------------------------------------
# 2. Git and file edges
# ------------------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str, env: dict[str, str] | None = None, input: bytes | None = None,
         check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, input=input,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RepoError(f"git {args[0]} failed: {message[-1] if message else 'exit ' + str(result.returncode)}")
    return result.stdout.decode("utf-8", "replace")


def rev_parse(root: Path, ref: str) -> str | None:
    out = _git(root, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False).strip()
    return out or None


@dataclass(frozen=True)
class FileWrite:
    """One file of an accepted or undone change: what it must hold now, what it will hold
    (None = absent), and its mode after."""

    path: str
    before: bytes | None
    after: bytes | None
    mode: str | None = None  # "100755" for an executable, else a regular file


def writes_for(changes: Sequence[Any]) -> list[FileWrite]:
    """The per-path writes of a PatchResult's changes (a rename is a deletion plus a creation)."""
    writes: list[FileWrite] = []
    for change in changes:
        if change.old_path and change.old_path != change.path:
            writes.append(FileWrite(change.old_path, change.old_content, None))
            writes.append(FileWrite(change.path, None, change.new_content, change.new_mode))
        else:
            writes.append(FileWrite(change.path, change.old_content, change.new_content,
                                    change.new_mode or change.old_mode))
    return writes


def read_file(root: Path, path: str) -> bytes | None:
    target = root / path
    return target.read_bytes() if target.is_file() else None


@contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C until the block is done, so a change is never half-applied; the interrupt is
    delivered afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received:
            raise KeyboardInterrupt


def _write_atomic(target: Path, data: bytes, mode: str | None) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".surgeon")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        if mode == "100755":
            os.chmod(tmp, os.stat(tmp).st_mode | 0o111)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_files(root: Path, writes: Sequence[FileWrite]) -> None:
    """Write exactly these files. Every file must still hold `before` (checked first, for all of
    them); if a write fails part-way, the files already written are put back."""
    resolved_root = root.resolve()
    for w in writes:
        parent = (root / w.path).parent.resolve()
        if (parent != resolved_root and resolved_root not in parent.parents) or w.path.split("/")[0] == ".git":
            raise Refused(f"{w.path} is not a file of this working tree; nothing was written")
        if read_file(root, w.path) != w.before:
            raise Refused(f"{w.path} changed while the diff waited; nothing was written")
    done: list[FileWrite] = []
    try:
        for w in writes:
            target = root / w.path
            if w.after is None:
                target.unlink(missing_ok=True)
            else:
                _write_atomic(target, w.after, w.mode)
            done.append(w)
    except OSError as exc:
        for w in reversed(done):
            if w.before is None:
                (root / w.path).unlink(missing_ok=True)
            else:
                _write_atomic(root / w.path, w.before, None)
        raise Refused(f"could not write {exc.filename or 'a file'}: {exc.strerror}; nothing was changed") from None


class SessionGit:
    """The session branch and its commits, built with a temporary index (like stage does): the
    person's index, HEAD and current branch are never touched. Blobs are stored byte for byte."""

    def __init__(self, root: Path) -> None:
        from surgeon.git import Git

        self.root = root
        self.g = Git(root)

    def commit_files(self, parent: str, files: Sequence[tuple[str, bytes | None, str | None]], message: str) -> str:
        """A commit on top of `parent` with these (path, content or None for absent, mode) entries."""
        old = self.g.tree_entries(parent, [path for path, _, _ in files])
        with tempfile.TemporaryDirectory(prefix="surgeon-pair-") as tmp:
            index = Path(tmp) / "index"
            env = {"GIT_INDEX_FILE": str(index)}
            self.g.run("read-tree", parent, env=env)
            present = [(path, content, mode) for path, content, mode in files if content is not None]
            blobs = self.g.write_blobs([content for _, content, _ in present], Path(tmp))  # type: ignore[misc]
            entries: dict[str, tuple[str, str] | None] = {path: None for path, content, _ in files if content is None}
            for (path, _, mode), oid in zip(present, blobs, strict=True):
                entries[path] = (mode or old.get(path, ("100644", ""))[0], oid)
            self.g.update_index(index, entries)
            tree = self.g.out("write-tree", env=env)
        return self.g.out("commit-tree", tree, "-p", parent, "-F", "-", input=message.encode(),
                          env=self.g.identity_env())

    def holds(self, commit: str, writes: Sequence[FileWrite]) -> list[FileWrite]:
        """Those writes whose `before` content is not what `commit` holds at that path."""
        entries = self.g.tree_entries(commit, [w.path for w in writes])
        differ = []
        for w in writes:
            entry = entries.get(w.path)
            held = None if entry is None else entry[1]
            if held != (None if w.before is None else self.g.blob_id(w.before)):
                differ.append(w)
        return differ

    def commit_turn(self, tip: str, writes: Sequence[FileWrite], message: str, snapshot_message: str) -> str:
        """The turn's commit on top of the branch tip. When the files the turn touches held
        something else than the tip (the person's own edits, or uncommitted work from before the
        session), that state is committed first, so the turn's commit is exactly its diff.
        `{paths}` in the snapshot message is replaced by the paths it records."""
        parent = tip
        differs = self.holds(tip, writes)
        if differs:
            text = snapshot_message.replace("{paths}", ", ".join(w.path for w in differs))
            parent = self.commit_files(tip, [(w.path, w.before, None) for w in differs], text)
        return self.commit_files(parent, [(w.path, w.after, w.mode) for w in writes], message)

    def move_branch(self, branch: str, new: str, old: str) -> None:
        """Compare-and-swap: fails (RepoError) if the branch moved meanwhile."""
        result = self.g.run("update-ref", "-m", "surgeon pair", f"refs/heads/{branch}", new, old, check=False)
        if result.returncode != 0:
            raise RepoError(f"could not move {branch}: {result.stderr.decode('utf-8', 'replace').strip()}")

    def create_branch(self, branch: str, commit: str) -> None:
        zero = "0" * len(commit)
        result = self.g.run("update-ref", "-m", "surgeon pair", f"refs/heads/{branch}", commit, zero, check=False)
        if result.returncode != 0:
            raise RepoError(f"could not create branch {branch}: it exists already or git refused")

    def delete_branch(self, branch: str, commit: str) -> None:
        """Delete the branch and any gate note recorded on its commit."""
        self.g.delete_branch(f"refs/heads/{branch}", commit)

    def reverse_diff(self, commit: str) -> str:
        """The diff that takes `commit` back to its first parent."""
        return self.g.run("diff", "--no-color", "--no-ext-diff", "--no-renames", "-U3", commit,
                          f"{commit}^").stdout.decode("utf-8", "surrogateescape")

    def worktree_snapshot(self, workdir: Path, extra: Sequence[FileWrite], message: str) -> str:
        """A commit of `workdir`'s HEAD plus its uncommitted changes to tracked files, plus `extra`:
        the files as they would be after accepting (neither index nor HEAD is touched)."""
        from surgeon.git import Git

        local = Git(workdir)
        head = local.out("rev-parse", "HEAD")
        entries: dict[str, tuple[bytes | None, str | None]] = {}
        for path in local.z_list("diff", "--name-only", "-z", "--no-renames", "HEAD", "--"):
            target = workdir / path
            content = target.read_bytes() if target.is_file() and not target.is_symlink() else None
            mode = "100755" if content is not None and os.access(target, os.X_OK) else None
            entries[path] = (content, mode)
        for w in extra:
            entries[w.path] = (w.after, w.mode)
        return self.commit_files(head, [(p, c, m) for p, (c, m) in entries.items()], message)


# -- the private working tree of a --no-apply session ------------------------------------------------


def private_worktree_path(surgeon_dir: Path, session_id: str) -> Path:
    return surgeon_dir / "pair" / session_id / "worktree"


def ensure_private_worktree(root: Path, surgeon_dir: Path, session: Session) -> Path:
    """With --no-apply the session reads and proposes against the session branch, not the
    person's files: a detached worktree of the branch tip under .git/surgeon/pair/<id>/."""
    path = private_worktree_path(surgeon_dir, session.id)
    tip = rev_parse(root, f"refs/heads/{session.branch}")
    if tip is None:
        raise RepoError(f"session branch {session.branch} is gone")
    if not (path / ".git").exists():
        _git(root, "worktree", "prune", check=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        _git(root, "worktree", "add", "--detach", "-q", str(path), tip)
    else:
        sync_private_worktree(path, tip)
    return path


def sync_private_worktree(path: Path, commit: str) -> None:
    _git(path, "reset", "-q", "--hard", commit)


def remove_private_worktree(root: Path, path: Path) -> None:
    if path.exists():
        _git(root, "worktree", "remove", "--force", str(path), check=False)


# -- the session file ----------------------------------------------------------------------------------


def sessions_dir(surgeon_dir: Path) -> Path:
    return surgeon_dir / "sessions"


def save_session(surgeon_dir: Path, session: Session) -> Path:
    """Atomic: a temporary file in the same folder, then rename."""
    folder = sessions_dir(surgeon_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{session.id}.json"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{session.id}.", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(session_to_json(session), handle, indent=2, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _saved_sessions(surgeon_dir: Path, *, strict: bool) -> list[tuple[float, float, Session]]:
    folder = sessions_dir(surgeon_dir)
    found: list[tuple[float, float, Session]] = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            session = session_from_json(json.loads(path.read_text(encoding="utf-8")))
            found.append((parse_stamp(session.updated), path.stat().st_mtime, session))
        except (OSError, ValueError, TypeError) as exc:
            if strict:
                raise UsageError(f"{path}: unreadable session file ({exc}); move it away to continue") from None
    return found


def load_last_session(surgeon_dir: Path) -> Session:
    """The session saved most recently under .git/surgeon/sessions/."""
    found = _saved_sessions(surgeon_dir, strict=True)
    if not found:
        raise UsageError("no pair session to resume in this repository; start one with `surgeon pair`")
    return max(found, key=lambda item: (item[0], item[1]))[2]


def last_session_id(surgeon_dir: Path) -> str | None:
    """The id of the session `surgeon pair --resume` continues (unreadable files are skipped)."""
    found = _saved_sessions(surgeon_dir, strict=False)
    return max(found, key=lambda item: (item[0], item[1]))[2].id if found else None


def read_session(surgeon_dir: Path, session_id: str) -> Session | None:
    """The saved session with this id, or None (no file, or an unreadable one)."""
    path = sessions_dir(surgeon_dir) / f"{session_id}.json"
    try:
        return session_from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, SurgeonError):
        return None


def parse_stamp(stamp: str) -> float:
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


# -- a running session, and its end -------------------------------------------------------------------


def session_dir(surgeon_dir: Path, session_id: str) -> Path:
    return surgeon_dir / "pair" / session_id


def _running_marker(surgeon_dir: Path, session_id: str) -> Path:
    return session_dir(surgeon_dir, session_id) / "running"


def mark_running(surgeon_dir: Path, session_id: str) -> None:
    """Record that this process runs the session, so `surgeon discard` leaves it alone."""
    marker = _running_marker(surgeon_dir, session_id)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{os.getpid()}\n", encoding="utf-8")


def clear_running(surgeon_dir: Path, session_id: str) -> None:
    marker = _running_marker(surgeon_dir, session_id)
    try:
        if marker.read_text(encoding="utf-8").split()[0] == str(os.getpid()):
            marker.unlink()
    except (OSError, IndexError):
        pass


def running_pid(surgeon_dir: Path, session_id: str) -> int | None:
    """The process id of the `surgeon pair` that runs this session now, or None. A marker left by a
    process that died (killed, terminal closed) is ignored."""
    try:
        pid = int(_running_marker(surgeon_dir, session_id).read_text(encoding="utf-8").split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except PermissionError:
        return pid  # alive, someone else's
    except OSError:
        return None
    return pid


def forget_session(root: Path, surgeon_dir: Path, session_id: str, branch: str) -> bool:
    """Remove what a session keeps besides its branch: its session file (when it is the file of
    this branch), a --no-apply private worktree, its folder. Returns whether a file was removed."""
    removed = False
    saved = read_session(surgeon_dir, session_id)
    if saved is not None and saved.branch == branch:
        (sessions_dir(surgeon_dir) / f"{session_id}.json").unlink(missing_ok=True)
        removed = True
    remove_private_worktree(root, private_worktree_path(surgeon_dir, session_id))
    folder = session_dir(surgeon_dir, session_id)
    for leftover in (folder / "running", folder / "worktree", folder):
        try:
            leftover.unlink() if leftover.is_file() else leftover.rmdir()
        except OSError:
            pass
    return removed


def checked_out_branches(root: Path) -> set[str]:
    """refs/heads/... checked out in any worktree of the repository."""
    out = _git(root, "worktree", "list", "--porcelain", check=False)
    return {line[len("branch "):] for line in out.splitlines() if line.startswith("branch ")}


def delete_ref(root: Path, branch: str, expected: str) -> bool:
    """Delete refs/heads/<branch> if it still points at `expected` (its notes are left alone: an
    empty session branch points at the person's own commit)."""
    return subprocess.run(["git", "update-ref", "-m", "surgeon pair", "-d", f"refs/heads/{branch}", expected],
                          cwd=root, capture_output=True).returncode == 0


@dataclass(frozen=True)
class Ending:
    """What ending a session did: whether its branch was deleted, whether --resume can continue it."""

    branch_deleted: bool
    resumable: bool


def end_session(root: Path, surgeon_dir: Path, session: Session) -> Ending:
    """A session ends (/quit, Ctrl-D, end of piped input, or an error). If no accepted turn is left
    on its branch (the tip is still where it started: none accepted, or all undone) the branch holds
    nothing and is deleted, so session branches never pile up. The session file stays only when
    the session is worth resuming (a proposal or refusal the model would be reminded of); then
    `--resume` starts a new branch for it. A branch checked out in a worktree is left alone."""
    ref = f"refs/heads/{session.branch}"
    tip = rev_parse(root, ref)
    if tip is None or tip != session.base or ref in checked_out_branches(root):
        return Ending(branch_deleted=False, resumable=tip is not None)
    if not delete_ref(root, session.branch, tip):
        return Ending(branch_deleted=False, resumable=True)
    if not session.worth_resuming:
        forget_session(root, surgeon_dir, session.id, session.branch)
    return Ending(branch_deleted=True, resumable=session.worth_resuming)


def now_local() -> datetime:
    return datetime.now().astimezone()


def stamp(session: Session) -> Session:
    return replace(session, updated=now_local().isoformat(timespec="microseconds"))


# ------------------------------------------------------------------------------------------------
# 3. The session controller
# ------------------------------------------------------------------------------------------------


class PairUI(Protocol):
    """What the controller needs from a terminal (or a test)."""

    def ask(self, prompt: str, default: str = "", *, remember: bool = False) -> str | None:
        """A line from the person; None on end of input (Ctrl-D). Ctrl-C raises KeyboardInterrupt.
        `remember`: keep the line in the instruction history (up-arrow)."""

    def info(self, text: str) -> None: ...
    def warn(self, text: str) -> None: ...
    def error(self, text: str) -> None: ...
    def diff(self, diff: str) -> None: ...
    def table(self, rows: Sequence[Sequence[str]]) -> None: ...
    def event(self, event: Any) -> None: ...  # an edit.events.EditEvent
    def progress(self, progress: Any) -> None: ...


ProposeFn = Callable[[Any, Path, Callable[[str, dict[str, Any]], None], Callable[[Any], None]], Any]

PROPOSAL_PROMPT = "[a]ccept  [r]eject [reason]  [t]est  [e]dit  [d]iff > "

ACCEPT_HELP = "a accept · r [reason] reject · t run the check on it · e refine the instruction · d show the diff"


@dataclass
class PairContext:
    """Where the session lives."""

    root: Path  # the person's working tree
    surgeon_dir: Path
    cwd: Path  # where the person started the session, for relative /add paths
    check_timeout: float = 600.0


def _usage_line(totals: Totals) -> str:
    if totals.calls and totals.calls_without_price == totals.calls:
        cost = "cost unknown (no price for this model)"
    else:
        cost = f"${totals.cost:.4f}"
        if totals.calls_without_price:
            cost += f" + {totals.calls_without_price} call(s) with unknown price"
    return (f"{totals.calls} model call(s): {totals.input_tokens} input tokens, {totals.output_tokens} output "
            f"tokens, {totals.cache_read_tokens} read from cache ({totals.cache_share:.0%} of prompt tokens), {cost}")


class PairController:
    """Runs a session: reads instructions and slash commands, runs the edit loop for a proposal,
    and applies the person's verdict. Saves the session after every turn and every change."""

    def __init__(self, ctx: PairContext, session: Session, ui: PairUI, propose: ProposeFn,
                 validate_model: Callable[[str], str], count_tokens: Callable[[str], int],
                 gate: Callable[[Any, str, float], Any] | None = None) -> None:
        self.ctx = ctx
        self.session = session
        self.ui = ui
        self.propose = propose
        self.validate_model = validate_model
        self.count_tokens = count_tokens
        self.gate = gate
        self.git = SessionGit(ctx.root)
        self.workdir = ctx.root

    # -- lifecycle -----------------------------------------------------------------------------
    def save(self) -> None:
        self.session = stamp(self.session)
        save_session(self.ctx.surgeon_dir, self.session)

    def open(self) -> None:
        mark_running(self.ctx.surgeon_dir, self.session.id)
        if not self.session.apply:
            self.workdir = ensure_private_worktree(self.ctx.root, self.ctx.surgeon_dir, self.session)
        self.save()

    def close(self) -> Ending:
        """End the session (see end_session); safe to call when open() did not finish."""
        try:
            self.save()
            if not self.session.apply:
                remove_private_worktree(self.ctx.root, private_worktree_path(self.ctx.surgeon_dir, self.session.id))
            return end_session(self.ctx.root, self.ctx.surgeon_dir, self.session)
        finally:
            clear_running(self.ctx.surgeon_dir, self.session.id)

    def run(self) -> None:
        """The read-eval loop, until /quit or end of input."""
        while True:
            try:
                line = self.ui.ask("pair> ", remember=True)
            except KeyboardInterrupt:
                continue  # like a shell: Ctrl-C drops the line being typed
            if line is None:
                return
            try:
                parsed = parse_input(line)
                if parsed is None:
                    continue
                if isinstance(parsed, Command):
                    if parsed.name == "/quit":
                        return
                    self.command(parsed)
                else:
                    self.turn(parsed)
            except SurgeonError as exc:
                self.ui.error(str(exc))
            except KeyboardInterrupt:
                self.ui.warn("interrupted")
            except EOFError:  # end of input while a proposal waited: it was rejected
                return

    # -- a turn ----------------------------------------------------------------------------------
    def conversation(self) -> Conversation:
        return build_conversation(self.session.turns, budget=self.session.history_budget,
                                  keep_last=self.session.keep_last, count_tokens=self.count_tokens)

    def _record(self, turn: Turn, outcome: Any = None) -> None:
        self.session = self.session.with_turn(turn)
        if outcome is not None:
            self.session = replace(self.session, totals=self.session.totals.add(outcome.attempts))
        self.save()

    def turn(self, instruction: str) -> None:
        while instruction is not None:
            instruction = self._one_turn(instruction)

    def _one_turn(self, instruction: str) -> str | None:
        """Run one instruction to a verdict. Returns a refined instruction to run next, or None."""
        from surgeon.edit import EditRequest

        number = self.session.next_number
        conversation = self.conversation()
        pinned = tuple(p for p in self.session.pinned if (self.workdir / p).is_file())
        missing = [p for p in self.session.pinned if p not in pinned]
        if missing:
            self.ui.warn(f"pinned but missing now, not shown: {', '.join(missing)} (/drop PATH unpins)")
        request = EditRequest(instruction=instruction, files=pinned, model=self.session.model,
                              dry_run=True, history=conversation.history, preface=conversation.preface,
                              task="pair")
        at = now_local().isoformat(timespec="seconds")
        if conversation.summarised:
            self.ui.info(f"(turns 1-{conversation.summarised} are sent as a summary to keep the context small)")
        try:
            outcome = self.propose(request, self.workdir, self.ui.event, self.ui.progress)
        except KeyboardInterrupt:
            self._record(Turn(number, instruction, "cancelled", at=at))
            self.ui.warn(f"turn {number} cancelled: nothing was changed")
            return None
        except SurgeonError as exc:
            self._record(Turn(number, instruction, "failed", reason=str(exc), at=at))
            raise
        if outcome.status != "proposed" or outcome.result is None:
            reasons = "; ".join(str(e) for e in outcome.errors) or "no valid diff"
            self._record(Turn(number, instruction, "refused", reason=reasons, model=outcome.model, at=at), outcome)
            self.ui.error(f"turn {number}: no valid diff after {len(outcome.attempts)} attempt(s); nothing was changed")
            return None
        result = outcome.result
        turn = Turn(number, instruction, "proposed", diff=result.normalised,
                    files=tuple(dict.fromkeys(p for w in writes_for(result.changes) for p in [w.path])),
                    lines_added=result.lines_added, lines_removed=result.lines_removed, model=outcome.model, at=at)
        self.session = replace(self.session, totals=self.session.totals.add(outcome.attempts))
        return self._verdict(turn, result, outcome)

    def _verdict(self, turn: Turn, result: Any, outcome: Any) -> str | None:
        while True:
            try:
                answer = self.ui.ask(PROPOSAL_PROMPT)
            except KeyboardInterrupt:
                self._finish(replace(turn, status="rejected", reason=""))
                self.ui.info(f"turn {turn.number} rejected (Ctrl-C); nothing was changed")
                return None
            if answer is None:
                self._finish(replace(turn, status="rejected", reason=""))
                self.ui.info(f"turn {turn.number} rejected (end of input)")
                raise EOFError
            parsed = parse_action(answer)
            if parsed is None:
                self.ui.info(ACCEPT_HELP)
                continue
            action, rest = parsed
            if action == "diff":
                self.ui.diff(turn.diff)
            elif action == "test":
                try:
                    turn = self._test(turn, result)
                except SurgeonError as exc:
                    self.ui.error(f"check not run: {exc}")
            elif action == "reject":
                reason = rest
                if not reason:
                    try:
                        reason = self.ui.ask("reason (optional, the next turn sees it) > ") or ""
                    except KeyboardInterrupt:
                        reason = ""
                self._finish(replace(turn, status="rejected", reason=reason.strip()))
                self.ui.info(f"turn {turn.number} rejected; nothing was changed")
                return None
            elif action == "edit":
                refined = rest
                if not refined:
                    try:
                        refined = self.ui.ask("refine> ", default=turn.instruction) or ""
                    except KeyboardInterrupt:
                        continue
                if not refined.strip():
                    continue
                self._finish(replace(turn, status="refined", reason=refined.strip()))
                return refined.strip()
            elif action == "accept":
                with sigint_deferred():  # never half-applied, never applied but unrecorded
                    try:
                        accepted = self._accept(turn, result)
                    except Refused as exc:
                        self.ui.error(f"not accepted: {exc}")
                        continue
                    self._finish(accepted)
                return None

    def _finish(self, turn: Turn) -> None:
        self.session = self.session.with_turn(turn)
        self.save()

    # -- accept ------------------------------------------------------------------------------------
    def _current_writes(self, result: Any) -> list[FileWrite]:
        """The writes of an accepted proposal against the files as they are now. If the person
        edited a touched file while the proposal waited, the diff is re-applied to the new content
        by the diff engine; if it no longer fits exactly (refusal or repair), accepting is refused."""
        writes = writes_for(result.changes)
        if not self.session.apply or all(read_file(self.workdir, w.path) == w.before for w in writes):
            return writes
        from surgeon.validate import ApplyOptions, patch_working_tree

        again = patch_working_tree(self.workdir, result.normalised, ApplyOptions(allow_rewrite=True, check_syntax=False))
        if not again.ok or again.repairs:
            why = "; ".join(str(r) for r in again.refusals) or "it would need repairs: " + "; ".join(again.repairs)
            raise Refused(f"your files changed since this diff was proposed and it no longer fits ({why}). "
                          "Nothing was written; reject it and ask again")
        return writes_for(again.changes)

    def _accept(self, turn: Turn, result: Any) -> Turn:
        """Commit the turn on the session branch and (unless --no-apply) write its files. The
        caller holds Ctrl-C until the turn is also recorded in the session."""
        branch = self.session.branch
        tip = rev_parse(self.ctx.root, f"refs/heads/{branch}")
        if tip is None:
            raise Refused(f"the session branch {branch} is gone; nothing was written")
        writes = self._current_writes(result)
        message = (f"pair turn {turn.number}: {_one_line(turn.instruction, 60)}\n\n{turn.instruction}\n\n"
                   f"Surgeon-Pair-Session: {self.session.id}\nSurgeon-Model: {turn.model}\n")
        snapshot = (f"pair turn {turn.number}: your own edits to {{paths}}\n\n"
                    "The state these files had in the working tree before the turn's diff was applied.\n")
        commit = self.git.commit_turn(tip, writes, message, snapshot)
        if self.session.apply:
            write_files(self.workdir, writes)
        try:
            self.git.move_branch(branch, commit, tip)
        except RepoError:
            if self.session.apply:
                write_files(self.workdir, [FileWrite(w.path, w.after, w.before) for w in writes])
            raise Refused(f"the session branch {branch} moved meanwhile; nothing was changed") from None
        if not self.session.apply:
            sync_private_worktree(self.workdir, commit)
        where = "written to your working tree" if self.session.apply else "not written to your files (--no-apply)"
        self.ui.info(f"accepted turn {turn.number}: {commit[:10]} on {branch}; "
                     f"{', '.join(turn.files)} {where}")
        return replace(turn, status="accepted", commit=commit, parent=tip)

    # -- t: the check on a throwaway branch ------------------------------------------------------
    def _test(self, turn: Turn, result: Any) -> Turn:
        command = self.session.check
        if not command:
            self.ui.warn("no check command: set one with /check CMD (or start with --check CMD)")
            return turn
        if self.gate is None:
            self.ui.warn("checks are not available here")
            return turn
        from surgeon.stage import StagedChange

        writes = writes_for(result.changes)
        commit = self.git.worktree_snapshot(self.workdir, writes, f"pair turn {turn.number} (check only)\n")
        branch = f"surgeon/pair-check-{self.session.id}-{turn.number}"
        stale = rev_parse(self.ctx.root, f"refs/heads/{branch}")
        if stale:
            self.git.delete_branch(branch, stale)
        self.git.create_branch(branch, commit)
        staged = StagedChange(id=f"pair-check-{self.session.id}-{turn.number}", branch=branch, commit=commit,
                              base=rev_parse(self.workdir, "HEAD") or "", files=turn.files,
                              lines_added=turn.lines_added, lines_removed=turn.lines_removed)
        self.ui.info(f"running `{command}` on your files as they would be after accepting (throwaway branch) …")
        try:
            outcome = self.gate(staged, command, self.ctx.check_timeout)
        except KeyboardInterrupt:
            self.ui.warn("check cancelled")
            return turn
        finally:
            self.git.delete_branch(branch, commit)
        from surgeon.edit.events import GateFinished

        self.ui.event(GateFinished(outcome))
        verdict = "passed" if outcome.passed else ("timed out" if outcome.timed_out else f"failed (exit {outcome.exit_code})")
        return replace(turn, check=f"{verdict}: {command}")

    # -- slash commands ----------------------------------------------------------------------------
    def command(self, command: Command) -> None:
        handler = getattr(self, "cmd_" + command.name[1:])
        handler(command.argument)

    def cmd_help(self, _argument: str) -> None:
        self.ui.info("Type an instruction to get a proposed diff, then: " + ACCEPT_HELP)
        self.ui.table([(spec, what) for spec, what in SLASH_COMMANDS.items()])

    def cmd_add(self, argument: str) -> None:
        from surgeon.model import never_send

        path = normalise_pinned_path(self.ctx.root, self.ctx.cwd, argument)
        if not (self.ctx.root / path).is_file():
            raise UsageError(f"/add {argument}: no such file in the repository")
        if never_send(path, self.ctx.root):
            raise UsageError(f"/add {path}: this file is never sent to a model (a secret file or listed in .surgeonignore)")
        self.session = self.session.pin(path)
        self.save()
        self.ui.info(f"pinned {path}: it is shown to the model on every turn ({len(self.session.pinned)} pinned)")

    def cmd_drop(self, argument: str) -> None:
        path = normalise_pinned_path(self.ctx.root, self.ctx.cwd, argument)
        if path not in self.session.pinned:
            raise UsageError(f"/drop {argument}: not pinned (pinned: {', '.join(self.session.pinned) or 'none'})")
        self.session = self.session.unpin(path)
        self.save()
        self.ui.info(f"unpinned {path}")

    def cmd_files(self, _argument: str) -> None:
        if not self.session.pinned:
            self.ui.info("no pinned files; the locator picks the context for each instruction (/add PATH pins one)")
            return
        self.ui.info("pinned files (always shown to the model):")
        self.ui.table([(p, "" if (self.workdir / p).is_file() else "missing") for p in self.session.pinned])

    def cmd_model(self, argument: str) -> None:
        label = self.validate_model(argument)
        self.session = replace(self.session, model=argument)
        self.save()
        self.ui.info(f"model for the next turns: {label}")

    def cmd_check(self, argument: str) -> None:
        if not argument:
            self.ui.info(f"check command: {self.session.check or 'none'} (/check CMD sets it)")
            return
        check = None if argument.lower() in ("off", "none") else argument
        self.session = replace(self.session, check=check)
        self.save()
        self.ui.info(f"check command: {check}" if check else "check command cleared")

    def cmd_cost(self, _argument: str) -> None:
        self.ui.info(_usage_line(self.session.totals))

    def cmd_log(self, _argument: str) -> None:
        if not self.session.turns:
            self.ui.info("no turns yet")
            return
        rows = []
        for t in self.session.turns:
            status = t.status + (" (undone)" if t.undone else "")
            detail = f"{', '.join(t.files)} +{t.lines_added} -{t.lines_removed}" if t.files else ""
            if t.commit:
                detail += f" {t.commit[:10]}"
            if t.reason and t.status != "refused":
                detail += f" — {_one_line(t.reason, 80)}"
            rows.append((str(t.number), status, _one_line(t.instruction, 60), detail.strip()))
        self.ui.table(rows)

    def cmd_undo(self, _argument: str) -> None:
        turn = self.session.last_accepted()
        if turn is None or turn.commit is None:
            raise UsageError("nothing to undo: no accepted turn")
        branch = self.session.branch
        tip = rev_parse(self.ctx.root, f"refs/heads/{branch}")
        if tip != turn.commit:
            raise Refused(f"the session branch {branch} has moved since turn {turn.number} was accepted "
                          f"(it is at {tip[:10] if tip else 'nothing'}); undo it with git instead")
        # Back to the tip before the turn; a snapshot of the person's edits made for this turn goes
        # too (those edits stay in the working tree; a later turn records them again if needed).
        back = turn.parent or rev_parse(self.ctx.root, f"{turn.commit}^")
        assert back is not None
        with sigint_deferred():
            if self.session.apply:
                writes = self._undo_writes(turn)
                write_files(self.workdir, writes)
                try:
                    self.git.move_branch(branch, back, tip)
                except RepoError:
                    write_files(self.workdir, [FileWrite(w.path, w.after, w.before) for w in writes])
                    raise Refused(f"the session branch {branch} moved meanwhile; nothing was changed") from None
            else:
                self.git.move_branch(branch, back, tip)
                sync_private_worktree(self.workdir, back)
            self.session = self.session.replace_turn(replace(turn, undone=True))
            self.save()
        where = " and in your working tree" if self.session.apply else ""
        self.ui.info(f"undid turn {turn.number} on {branch}{where}: {', '.join(turn.files)} restored")

    def _undo_writes(self, turn: Turn) -> list[FileWrite]:
        """The turn's diff applied in reverse to the files as they are now. If the person has since
        edited the lines it changed, the reverse diff does not fit and undo is refused."""
        from surgeon.validate import ApplyOptions, patch_working_tree

        assert turn.commit is not None
        reverse = self.git.reverse_diff(turn.commit)
        result = patch_working_tree(self.workdir, reverse, ApplyOptions(allow_rewrite=True, check_syntax=False))
        if not result.ok or result.repairs:
            why = "; ".join(str(r) for r in result.refusals) or "; ".join(result.repairs)
            raise Refused(f"cannot undo turn {turn.number}: you have edited the lines it changed ({why}). "
                          "Nothing was changed")
        return writes_for(result.changes)


def model_label(spec: str, config: Any) -> str:
    """Check that a model spec resolves (raises ModelNotConfigured/UsageError) and name it."""
    from surgeon.model import make_provider, resolve_model

    resolved = resolve_model("pair", config, spec)
    return make_provider(resolved, config).label
