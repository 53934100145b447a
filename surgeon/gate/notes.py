"""The gate's result as a git note on the staged commit (refs/notes/surgeon): the commit exists
before the gate runs, so it cannot carry the result itself."""

from __future__ import annotations

import json

from surgeon.gate.result import GateResult
from surgeon.git.runner import NOTES_REF, Git


def record_gate(git: Git, commit: str, result: GateResult) -> None:
    note = json.dumps({"gate": result.to_json()}, indent=2) + "\n"
    git.run(
        "notes", f"--ref={NOTES_REF}", "add", "-f", "-F", "-", commit,
        input=note.encode(), env=git.identity_env(),
    )


def read_gate(git: Git, commit: str) -> GateResult | None:
    shown = git.run("notes", f"--ref={NOTES_REF}", "show", commit, check=False)
    if shown.returncode != 0:
        return None
    try:
        return GateResult.from_json(json.loads(shown.stdout)["gate"])
    except (ValueError, KeyError, TypeError):
        return None
