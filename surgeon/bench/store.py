"""Bench results kept in .git/surgeon/bench/, one JSON file per run, so a later run can compare."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from surgeon.git import RepoInfo


def bench_dir(repo: RepoInfo) -> Path:
    return repo.surgeon_dir / "bench"


def previous_run(repo: RepoInfo) -> dict[str, Any] | None:
    """The newest readable run kept for this repository (None: none yet). Files are named so that
    their names sort by time."""
    folder = bench_dir(repo)
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.json"), reverse=True):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("models"), list):
            return data
    return None


def save_run(repo: RepoInfo, report: dict[str, Any]) -> Path:
    """Write the run atomically (a reader never sees half a file); returns where."""
    folder = bench_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{report['id']}.json"
    handle, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2, sort_keys=True)
            out.write("\n")
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
