"""The four tools, each given a trial's reply and the file it applies to, and what came out:
"correct" (the intended file written), "wrong" (anything else written), "refused" (nothing
written), "crash" (an exception, or a tool killed by a signal). For a reply that must be refused,
"refused" is the right outcome and anything written is wrong.

surgeon runs in process through the path `surgeon apply --dry-run` takes (surgeon/cli/apply.py):
extract_diff on the reply (fences, prose, the other paste formats), then validate.check_patch (the
engine, the syntax guard, minimality), then the secrets validator."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import traceback
from pathlib import Path

from surgeon.diff import PatchResult, extract_diff
from surgeon.validate import ApplyOptions, check_patch
from surgeon.validate.secrets import check_changes
from tests.bench.diffbench.model import Trial

OPTIONS = ApplyOptions(allow_rewrite=True)  # measure the engine, not the rewrite policy
EXTERNAL = {
    "git apply": ["git", "apply"],
    "git apply --recount --ignore-whitespace": ["git", "apply", "--recount", "--ignore-whitespace"],
    "patch --fuzz=3": ["patch", "-p1", "--fuzz=3", "--force", "--forward", "--silent",
                       "--reject-file=-", "--no-backup-if-mismatch", "-i"],
}
TOOLS = ["surgeon", *EXTERNAL]
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None


def surgeon_result(trial: Trial) -> PatchResult:
    files = {trial.path: trial.old}
    diff_text = extract_diff(trial.reply) or trial.reply
    result = check_patch(diff_text, files.get, OPTIONS)
    if result.ok:
        secrets = check_changes(result.changes)
        if secrets:
            return result.__class__(False, (), tuple(secrets), result.repairs, "", 0, 0)
    return result


def judge(trial: Trial, written: dict[str, bytes | None]) -> str:
    """written: path -> content after the tool ran (None: deleted), for every path it touched."""
    changed = {p: data for p, data in written.items() if data != (trial.old if p == trial.path else None)}
    if not changed:
        return "refused"
    if trial.expected is not None and any(changed == {trial.path: good} for good in (trial.expected, *trial.also)):
        return "correct"
    return "wrong"


def run_surgeon(trial: Trial) -> tuple[str, str]:
    """(outcome, detail): detail is the exception for a crash, the first refusal otherwise."""
    try:
        result = surgeon_result(trial)
    except Exception as exc:  # the benchmark counts what users would see as a traceback
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return "crash", f"{type(exc).__name__}: {exc} ({Path(frame.filename).name}:{frame.lineno} {frame.name})"
    if not result.ok:
        return "refused", str(result.refusals[0]).split("\n")[0] if result.refusals else ""
    return judge(trial, {c.path: c.new_content for c in result.changes}), ""


def run_external(trial: Trial, command: list[str]) -> str:
    tmp = tempfile.mkdtemp(dir=_SCRATCH)
    try:
        target = Path(tmp, "t", trial.path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(trial.old)
        patch = Path(tmp, "change.patch")
        patch.write_bytes(trial.reply.encode("utf-8", "surrogateescape"))
        try:
            done = subprocess.run([*command, str(patch)], cwd=Path(tmp, "t"), capture_output=True, timeout=30,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return "refused"
        if done.returncode < 0:
            return "crash"
        written: dict[str, bytes | None] = {}
        for file in Path(tmp, "t").rglob("*"):
            if file.is_file():
                written[file.relative_to(Path(tmp, "t")).as_posix()] = file.read_bytes()
        written.setdefault(trial.path, None)
        return judge(trial, written)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
