"""`surgeon edit --files`: several words after one flag, the flag repeated, or a comma list, parsed with
click's public API (PathsCommand rewrites the words before click's parser sees them)."""

from __future__ import annotations

from typing import Any

import click
import pytest

from surgeon.cli.edit import _split_files, edit, spread_paths
from surgeon.cli.main import _with_verbosity

COMMAND = _with_verbosity(edit)


def parse(*args: str) -> dict[str, Any]:
    return dict(COMMAND.make_context("edit", list(args)).params)


@pytest.mark.parametrize("args", [
    ("do it", "--files", "a.py", "b.py"),
    ("do it", "--files", "a.py", "--files", "b.py"),
    ("--files", "a.py", "b.py", "do it"),  # a word with a space is not a path: it is the instruction
    ("do it", "--files=a.py", "b.py"),
    ("do it", "--files", "a.py", "b.py", "--dry-run"),
])
def test_files_takes_several_paths(args):
    params = parse(*args)
    assert params["instruction"] == "do it"
    assert params["files"] == ("a.py", "b.py")


def test_a_comma_list_is_split_after_parsing():
    params = parse("do it", "--files", "a.py,b.py", "c.py")
    assert params["files"] == ("a.py,b.py", "c.py")
    assert _split_files(params["files"]) == ("a.py", "b.py", "c.py")


def test_other_options_and_the_end_of_options_are_left_alone():
    params = parse("--files", "a.py", "--model", "script:r.json", "do", "--budget", "5")
    assert params["files"] == ("a.py",) and params["model"] == "script:r.json" and params["instruction"] == "do"
    assert params["budget"] == 5
    # a value of another option is never taken as a path, and nothing after `--` is an option
    assert parse("--check", "--files", "do")["check"] == "--files"
    assert parse("--files", "a.py", "--", "b.py")["instruction"] == "b.py"
    with pytest.raises(click.UsageError):
        parse("do it", "--files")


def test_spread_paths_rewrites_only_the_words_after_a_paths_option():
    params = COMMAND.get_params(click.Context(COMMAND))
    assert spread_paths(["x", "--files", "a", "b", "-q", "c"], params) == [
        "x", "--files", "a", "--files", "b", "-q", "c"]
    assert spread_paths(["--files", "a", "--", "b"], params) == ["--files", "a", "--", "b"]
