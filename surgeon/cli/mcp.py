"""`surgeon mcp`: the same safety layer as the CLI, offered to other agents (Claude Code, Codex,
Cursor ...) as MCP tools over stdio, with the official `mcp` SDK's low-level server.

Each tool runs what its command runs and returns the object that command prints with --json, as JSON
text and as structured content; an error or a refusal is a tool error (isError) holding the object
`--json` prints for it. The server never calls a model: the agent on the other end is the model.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from surgeon import __version__, terminal
from surgeon.errors import SurgeonError, UsageError

if TYPE_CHECKING:
    from mcp import types as mcp_types

    from surgeon.diff import PatchResult
    from surgeon.git import RepoInfo

JSON = dict[str, Any]

INSTRUCTIONS = (
    "surgeon validates and stages minimal unified diffs for this repository. Find the lines with locate, "
    "write a unified diff (SEARCH/REPLACE blocks, Codex patches and format-patch mail are read too), "
    "check it with check_diff, then stage_diff puts it on a review branch as one commit without touching "
    "the working tree, index or HEAD. show_branch, accept_branch and discard_branch act on review branches; "
    "review checks staged changes or named files for secrets and risky config."
)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    properties: Mapping[str, JSON]
    required: tuple[str, ...]
    run: Callable[..., tuple[JSON, bool]]  # (root, **arguments) -> (object, is_error)

    def input_schema(self) -> JSON:
        schema: JSON = {"type": "object", "properties": dict(self.properties), "additionalProperties": False}
        if self.required:
            schema["required"] = list(self.required)
        return schema


def _string(description: str) -> JSON:
    return {"type": "string", "description": description}


# ---------------------------------------------------------------------------------------------
# the tools: each one is the CLI command with `--repo ROOT --json`


def _locate(root: Path, instruction: str, budget: int | None = None) -> tuple[JSON, bool]:
    from surgeon.cli.locate import locate_json, locate_regions
    from surgeon.git import find_repo

    result, _ = locate_regions(find_repo(root, need_commit=False).root, instruction, budget)
    return locate_json(result), False


def _checked(root: Path, diff: str, *, need_commit: bool) -> tuple[RepoInfo, PatchResult]:
    from surgeon.cli.apply import check_reply
    from surgeon.git import find_repo

    repo = find_repo(root, need_commit=need_commit)
    return repo, check_reply(repo.root, diff)


def _check_diff(root: Path, diff: str) -> tuple[JSON, bool]:
    from surgeon.cli.render import patch_json, refused_json

    _, result = _checked(root, diff, need_commit=False)
    return (patch_json(result, "valid"), False) if result.ok else (refused_json(result.refusals), True)


def _stage_diff(root: Path, diff: str, message: str | None = None) -> tuple[JSON, bool]:
    from surgeon.cli.apply import stage_reply, staging_refused_json
    from surgeon.cli.render import patch_json, refused_json
    from surgeon.errors import Refused

    repo, result = _checked(root, diff, need_commit=True)
    if not result.ok:
        return refused_json(result.refusals), True
    try:
        staged = stage_reply(repo, result, diff, message=message, name="diff from MCP")
    except Refused as refused:
        return staging_refused_json(refused), True
    return patch_json(result, "applied", staged), False


def _list_branches(root: Path) -> tuple[JSON, bool]:
    from surgeon.cli.branches import branches_json, pending
    from surgeon.git import find_repo

    return branches_json(*pending(find_repo(root)), time.time()), False


def _show_branch(root: Path, id: str) -> tuple[JSON, bool]:
    from surgeon.cli.branches import find_with_diff, show_json
    from surgeon.git import find_repo

    return show_json(*find_with_diff(find_repo(root), id)), False


def _accept_branch(root: Path, id: str) -> tuple[JSON, bool]:
    from surgeon.cli.branches import accept_one
    from surgeon.git import find_repo

    return accept_one(find_repo(root), id).to_json(), False


def _discard_branch(root: Path, id: str) -> tuple[JSON, bool]:
    from surgeon.cli.branches import discard_json, discard_some
    from surgeon.git import find_repo

    return discard_json(*discard_some(find_repo(root), id)), False


def _review(root: Path, staged: bool = False, paths: list[str] | None = None) -> tuple[JSON, bool]:
    from surgeon.cli.review import review_json, staged_or_named
    from surgeon.config import load_config
    from surgeon.git import find_repo
    from surgeon.review.run import run_review
    from surgeon.review.settings import ReviewSettings

    if staged and paths:
        raise UsageError("review: give `staged` or `paths`, not both")
    started = time.perf_counter()
    repo = find_repo(root, need_commit=False)
    config = load_config(repo.root)
    chosen = staged_or_named(repo.root, paths or (), repo.root)  # paths are relative to the repository
    run = run_review(repo, config, chosen, ReviewSettings.from_config(config, None), llm=False, model_override=None)
    return review_json(run.findings, chosen, time.perf_counter() - started), False


_ID = {"id": _string("The branch's short id (as list_branches shows it) or its full name.")}

TOOLS: dict[str, Tool] = {tool.name: tool for tool in (
    Tool("locate", "Find the regions of the repository an instruction is about: ranked {path, start_line, "
         "end_line, symbol, kind, score, why} within a token budget (what `surgeon locate --json` prints).",
         {"instruction": _string("What to change, in words; may name files, functions, settings, errors."),
          "budget": {"type": "integer", "description": "Token budget for the regions (default: config, 8000)."}},
         ("instruction",), _locate),
    Tool("check_diff", "Check a diff against the working tree without writing anything: placed by content, "
         "unambiguous repairs named, the rest refused with path, hunk, line and reason (`surgeon apply "
         "--dry-run --json`). Reads unified diffs, SEARCH/REPLACE blocks, Codex patches and format-patch mail.",
         {"diff": _string("The diff, or a reply that contains one.")}, ("diff",), _check_diff),
    Tool("stage_diff", "Check a diff and stage it as one commit on a review branch surgeon/<slug>-<id>; the "
         "working tree, index and HEAD are untouched (`surgeon apply --json`).",
         {"diff": _string("The diff, or a reply that contains one."),
          "message": _string("What the change is for (the review commit's summary).")}, ("diff",), _stage_diff),
    Tool("list_branches", "List the pending review branches and pair sessions (`surgeon branches --json`).",
         {}, (), _list_branches),
    Tool("show_branch", "The metadata and diff of one review branch (`surgeon show --json`).",
         _ID, ("id",), _show_branch),
    Tool("accept_branch", "Bring a review branch into the current branch and working tree, then delete it; "
         "refused rather than losing uncommitted work (`surgeon accept --json`).", _ID, ("id",), _accept_branch),
    Tool("discard_branch", "Delete a review branch surgeon staged and nobody touched since; the files are not "
         "touched (`surgeon discard --json`).", _ID, ("id",), _discard_branch),
    Tool("review", "Check the lines the next commit adds (the default), or the named files whole, for secrets, "
         "hard-coded origins, timeouts and risky config (`surgeon review --json`).",
         {"staged": {"type": "boolean", "description": "Judge the staged changes (the default)."},
          "paths": {"type": "array", "items": {"type": "string"},
                    "description": "Files or folders to judge, relative to the repository root."}},
         (), _review),
)}

_TYPES: dict[str, tuple[type, str]] = {"string": (str, "a string"), "integer": (int, "an integer"),
                                       "boolean": (bool, "true or false"), "array": (list, "a list of strings")}


def _arguments(tool: Tool, given: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments checked against the tool's schema, as one-line usage errors."""
    unknown = sorted(set(given) - set(tool.properties))
    if unknown:
        takes = ", ".join(tool.properties) or "no arguments"
        raise UsageError(f"{tool.name}: unknown argument {unknown[0]!r} (it takes {takes})")
    for name in tool.required:
        if name not in given:
            raise UsageError(f"{tool.name}: the argument {name!r} is missing")
    for name, value in given.items():
        kind = tool.properties[name]["type"]
        python_type, wanted = _TYPES[kind]
        wrong = not isinstance(value, python_type) or (kind == "integer" and isinstance(value, bool))
        if kind == "array" and not wrong:
            wrong = not all(isinstance(item, str) for item in value)
        if wrong:
            raise UsageError(f"{tool.name}: {name!r} must be {wanted}")
    return dict(given)


def call(root: Path, name: str, given: Mapping[str, Any]) -> tuple[JSON, bool]:
    """Run one tool: (the object its command prints with --json, whether it is an error)."""
    from surgeon.cli.main import _environment_failure, _internal_error, error_json

    try:
        tool = TOOLS.get(name)
        if tool is None:
            raise UsageError(f"unknown tool {name!r} (the tools are {', '.join(TOOLS)})")
        return tool.run(root, **_arguments(tool, given))
    except SurgeonError as exc:
        return error_json(str(exc), exc.exit_code, getattr(exc, "files", ()), getattr(exc, "path", None)), True
    except Exception as exc:  # as in cli/main.py: one line naming it, and the server keeps serving
        if terminal.verbose():
            traceback.print_exc()
        failure = (_environment_failure(exc) if isinstance(exc, OSError) else None) or _internal_error(exc)
        return error_json(str(failure), failure.exit_code), True


# ---------------------------------------------------------------------------------------------
# the server


def _result(payload: JSON, is_error: bool) -> mcp_types.CallToolResult:
    from mcp import types

    text = json.dumps(payload, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
        structured: JSON | None = payload
    except UnicodeEncodeError:  # a name that is not UTF-8 (a lone surrogate) cannot travel as it is
        text, structured = json.dumps(payload, indent=2), None
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=structured,
                                is_error=is_error)


async def _serve(root: Path) -> None:
    from mcp import types
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[
            types.Tool(name=t.name, description=t.description, input_schema=t.input_schema()) for t in TOOLS.values()])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        # in the event loop's thread, one call at a time: git work on one repository is serial, and
        # `accept` can hold Ctrl-C while it writes (signals reach only the main thread)
        return _result(*call(root, params.name, params.arguments or {}))

    server: Server[Any] = Server("surgeon", version=__version__, instructions=INSTRUCTIONS,
                                 on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


@click.command()
@click.option("--repo", "repo_dir", metavar="DIR", help="Repository (default: the current folder's).")
def mcp(repo_dir: str | None) -> None:
    """Serve surgeon's tools to another agent over MCP (stdio): locate, check_diff, stage_diff,
    list_branches, show_branch, accept_branch, discard_branch, review.

    Each tool returns what the matching command prints with --json; errors and refusals are tool
    errors. The server never calls a model. Register it with your agent, e.g.
    `claude mcp add surgeon -- surgeon mcp --repo .`
    """
    import anyio

    from surgeon.git import find_repo

    root = find_repo(repo_dir, need_commit=False).root  # a bad --repo stops here, before serving
    anyio.run(_serve, root)
