"""Running the installed console script exactly as a user does, and what "no traceback" means."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import SURGEON, Run, run_surgeon  # noqa: F401  (SURGEON: for tests that spawn it)

# the console script, run as a user does: one helper for every test (tests/helpers.py)
surgeon = run_surgeon


def assert_no_traceback(run: Run) -> None:
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert "internal error" not in run.stderr, run.stderr


def assert_one_line_error(run: Run, code: int, *, as_json: bool) -> str:
    """Exit `code`, one `surgeon: ...` line on stderr and, with --json, exactly one error object on
    stdout; returns the message."""
    assert_no_traceback(run)
    assert run.code == code, (run.code, run.stdout, run.stderr)
    lines = run.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("surgeon: "), run.stderr
    message = lines[0].removeprefix("surgeon: ")
    if as_json:
        payload = json.loads(run.stdout)  # exactly one JSON document, nothing else
        assert isinstance(payload, dict)
        assert payload["status"] == "error"
        assert payload["errors"] == [{"path": None, "hunk": None, "line": None, "reason": message}]
    return message


@contextmanager
def unwritable(folder: Path) -> Iterator[None]:
    """`folder` cannot be written, even by root (chattr +i); skips when that cannot be arranged."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr: a folder cannot be made unwritable")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)
