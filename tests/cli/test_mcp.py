"""`surgeon mcp` end to end: the installed console script served over stdio and driven by the `mcp`
SDK's own stdio client, on real git repositories. Each tool must return what its command prints with
--json (compared with the command itself), as JSON text and structured content; errors are tool errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client

from tests.cli.support import assert_no_traceback
from tests.helpers import GIT_ENV, SURGEON, git, make_repo, repo_state, run_surgeon

APP = 'def greet(name):\n    return "Hello, " + name\n'
HI = ('--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def greet(name):\n-    return "Hello, " + name\n'
      '+    return "Hi, " + name\n')
SEARCH_REPLACE = 'app.py\n<<<<<<< SEARCH\n    return "Hello, " + name\n=======\n    return "Hey, " + name\n>>>>>>> REPLACE\n'
ELSEWHERE = '--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def wave(hand):\n-    return 1\n+    return 2\n'

STRIPE = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzEXAMPLEKEY"
AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"
SETTINGS = f'import os\n\nAWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\nSTRIPE_KEY = "{STRIPE}"\n\n\ndef connect():\n    return AWS_SECRET_ACCESS_KEY\n'

SCHEMAS = {  # name -> (property types, required)
    "locate": ({"instruction": "string", "budget": "integer"}, ["instruction"]),
    "check_diff": ({"diff": "string"}, ["diff"]),
    "stage_diff": ({"diff": "string", "message": "string"}, ["diff"]),
    "list_branches": ({}, []),
    "show_branch": ({"id": "string"}, ["id"]),
    "accept_branch": ({"id": "string"}, ["id"]),
    "discard_branch": ({"id": "string"}, ["id"]),
    "review": ({"staged": "boolean", "paths": "array"}, []),
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo", {"app.py": APP, "README.md": "greeter\n"})


Scenario = Callable[[ClientSession], Awaitable[Any]]


def serve(repo: Path, scenario: Scenario, log: Path | None = None, env: dict[str, str] | None = None) -> Any:
    """Start `surgeon mcp --repo REPO` as an MCP client does, run `scenario` on the session, and check the
    server's stderr holds no traceback."""
    log = log or repo.parent / "server.log"

    async def main() -> Any:
        params = StdioServerParameters(command=str(SURGEON), args=["mcp", "--repo", str(repo)],
                                       env={**GIT_ENV, "NO_COLOR": "1", **(env or {})}, cwd=str(repo.parent))
        with anyio.fail_after(120), log.open("w") as errlog:  # a hung server fails the test, not the run
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await scenario(session)

    outcome = anyio.run(main)
    server_log = log.read_text()
    assert "Traceback" not in server_log and "internal error" not in server_log, server_log
    return outcome


def payload(result: Any, *, error: bool = False) -> dict[str, Any]:
    """The object a tool returned: JSON text content, the same as its structured content."""
    assert result.is_error is error, result.content
    assert len(result.content) == 1 and result.content[0].type == "text"
    data = json.loads(result.content[0].text)
    assert result.structured_content == data
    return data


def cli_json(repo: Path, *args: str, input: str | None = None, code: int = 0) -> dict[str, Any]:
    run = run_surgeon(*args, "--json", cwd=repo, input=input)
    assert run.code == code, run.stderr
    return json.loads(run.stdout)


def without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def test_lists_the_tools_with_their_input_schemas(repo):
    async def scenario(session: ClientSession) -> Any:
        return (await session.list_tools()).tools

    tools = serve(repo, scenario)
    assert [t.name for t in tools] == list(SCHEMAS)
    for tool in tools:
        types, required = SCHEMAS[tool.name]
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False
        assert {name: p["type"] for name, p in schema["properties"].items()} == types
        assert schema.get("required", []) == required
        assert tool.description
    assert tools[-1].input_schema["properties"]["paths"]["items"] == {"type": "string"}


def test_check_diff_returns_what_apply_dry_run_prints(repo):
    before = repo_state(repo)

    async def scenario(session: ClientSession) -> Any:
        return [await session.call_tool("check_diff", {"diff": diff}) for diff in (HI, SEARCH_REPLACE, ELSEWHERE)]

    valid, pasted, refused = serve(repo, scenario)
    assert payload(valid) == cli_json(repo, "apply", "-", "--dry-run", input=HI)
    assert payload(valid)["status"] == "valid" and payload(valid)["files"] == ["app.py"]
    assert payload(pasted) == cli_json(repo, "apply", "-", "--dry-run", input=SEARCH_REPLACE)
    assert '+    return "Hey, " + name' in payload(pasted)["diff"]

    error = payload(refused, error=True)
    assert error == cli_json(repo, "apply", "-", "--dry-run", input=ELSEWHERE, code=1)
    assert error["status"] == "refused"
    [reason] = error["errors"]
    assert (reason["path"], reason["hunk"]) == ("app.py", 1)
    assert "def wave(hand):" in reason["reason"] and reason["reason"] in refused.content[0].text
    assert repo_state(repo) == before


def test_stage_diff_stages_a_review_branch_and_touches_nothing_else(repo, fake_model):
    (repo / "README.md").write_text("greeter, edited by hand\n")  # uncommitted work stays as it is
    (repo / "notes.txt").write_text("untracked\n")
    before = repo_state(repo)

    async def scenario(session: ClientSession) -> Any:
        checked = await session.call_tool("check_diff", {"diff": HI})
        staged = await session.call_tool("stage_diff", {"diff": HI, "message": "say hi"})
        ident = payload(staged)["id"]
        listed = await session.call_tool("list_branches", {})
        shown = await session.call_tool("show_branch", {"id": ident})
        return checked, staged, listed, shown

    checked, staged, listed, shown = serve(repo, scenario, env=fake_model.env())  # a model within reach
    assert fake_model.requests == []  # the agent on the other end is the model: the server calls none
    assert repo_state(repo) == before
    change = payload(staged)
    assert without(change, "branch", "id", "commit") == {**payload(checked), "status": "applied"}
    assert change["branch"].startswith("surgeon/") and change["branch"].endswith(change["id"])
    assert git(repo, "rev-parse", change["branch"]).strip() == change["commit"]
    assert git(repo, "log", "-1", "--format=%s", change["commit"]).strip().startswith("say hi")
    assert git(repo, "show", f"{change['commit']}:app.py") == APP.replace("Hello", "Hi")

    shown_branch, cli_show = payload(shown), cli_json(repo, "show", change["id"])
    assert shown_branch["diff"] == cli_show["diff"] and "+    return \"Hi, \" + name" in cli_show["diff"]
    assert without(shown_branch["branch"], "age_seconds") == without(cli_show["branch"], "age_seconds")
    assert shown_branch["branch"]["instruction"] == "say hi"
    [listed_branch] = payload(listed)["branches"]
    [cli_branch] = cli_json(repo, "branches")["branches"]
    assert without(listed_branch, "age_seconds") == without(cli_branch, "age_seconds")
    assert listed_branch["id"] == change["id"] and listed_branch["state"] == "verified"


def test_accept_branch_brings_the_change_in(repo):
    async def scenario(session: ClientSession) -> Any:
        ident = payload(await session.call_tool("stage_diff", {"diff": HI}))["id"]
        return ident, await session.call_tool("accept_branch", {"id": ident})

    ident, accepted = serve(repo, scenario)
    result = payload(accepted)
    assert set(result) == {"accepted", "how", "commit", "files"}
    assert (result["how"], result["files"], result["accepted"]["id"]) == ("fast-forward", ["app.py"], ident)
    assert (repo / "app.py").read_text() == APP.replace("Hello", "Hi")
    assert git(repo, "rev-parse", "HEAD").strip() == result["commit"]
    assert git(repo, "branch", "--list", "surgeon/*") == ""


def test_discard_branch_deletes_it_and_an_unknown_id_is_a_tool_error(repo):
    before = repo_state(repo)

    async def scenario(session: ClientSession) -> Any:
        ident = payload(await session.call_tool("stage_diff", {"diff": HI}))["id"]
        discarded = await session.call_tool("discard_branch", {"id": ident})
        again = await session.call_tool("discard_branch", {"id": ident})
        return ident, discarded, again

    ident, discarded, again = serve(repo, scenario)
    result = payload(discarded)
    assert [b["id"] for b in result["discarded"]] == [ident] and result["kept"] == []
    assert git(repo, "branch", "--list", "surgeon/*") == ""
    assert repo_state(repo) == before
    error = payload(again, error=True)
    assert error == cli_json(repo, "discard", ident, code=2)
    assert error["status"] == "error" and ident in error["errors"][0]["reason"]


def test_locate_returns_what_locate_prints_and_no_secret(tmp_path):
    repo = make_repo(tmp_path / "repo", {"settings.py": SETTINGS, ".env": f"STRIPE_KEY={STRIPE}\n", "app.py": APP})
    instruction = f"connect with {AWS_SECRET} and {STRIPE} instead"

    async def scenario(session: ClientSession) -> Any:
        return await session.call_tool("locate", {"instruction": instruction, "budget": 2000})

    located = serve(repo, scenario)
    result = payload(located)
    cli = cli_json(repo, "locate", instruction, "--budget", "2000")
    assert without(result, "seconds") == without(cli, "seconds")
    assert "settings.py" in [r["path"] for r in result["regions"]]
    assert any("<masked secret>" in why for r in result["regions"] for why in r["why"])
    for text in (located.content[0].text, json.dumps(cli)):
        for piece in (STRIPE, *AWS_SECRET.split("/")):
            assert piece not in text


def test_review_finds_a_staged_secret(repo, fake_model):
    (repo / "deploy").mkdir()
    (repo / "deploy" / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n')
    git(repo, "add", "-A")

    async def scenario(session: ClientSession) -> Any:
        return [await session.call_tool("review", arguments) for arguments in
                ({}, {"staged": True}, {"paths": ["deploy/settings.py"]}, {"staged": True, "paths": ["app.py"]})]

    default, staged, named, both = serve(repo, scenario, env=fake_model.env())
    assert fake_model.requests == []
    result = payload(default)
    assert without(result, "seconds") == without(cli_json(repo, "review", code=1), "seconds")
    [finding] = result["findings"]
    assert (finding["rule"], finding["path"], finding["line"]) == ("secret.aws", "deploy/settings.py", 1)
    assert without(payload(staged), "seconds") == without(result, "seconds")
    assert [f["rule"] for f in payload(named)["findings"]] == ["secret.aws"]
    for answer in (default, staged, named):
        assert AWS_ID not in answer.content[0].text
    assert "not both" in payload(both, error=True)["errors"][0]["reason"]


def test_bad_arguments_and_refusals_are_tool_errors(tmp_path, repo):
    empty = make_repo(tmp_path / "empty", {})  # no commit yet: nothing to stage on

    async def scenario(session: ClientSession) -> Any:
        calls = [("locate", {"instruction": "greet", "budget": "lots"}), ("locate", {"instruction": "greet", "budget": 0}),
                 ("locate", {"instruction": "  "}), ("check_diff", {}), ("check_diff", {"diff": HI, "force": True}),
                 ("review", {"paths": "app.py"}), ("show_branch", {"id": "nope"}), ("no_such_tool", {}),
                 ("check_diff", {"diff": "no diff here\n"})]
        return [await session.call_tool(name, arguments) for name, arguments in calls]

    reasons = [payload(r, error=True)["errors"][0]["reason"] for r in serve(repo, scenario)]
    assert "'budget' must be an integer" in reasons[0]
    assert reasons[1] == cli_json(repo, "locate", "greet", "--budget", "0", code=2)["errors"][0]["reason"]
    assert "instruction is empty" in reasons[2]
    assert "'diff' is missing" in reasons[3]
    assert "unknown argument 'force'" in reasons[4]
    assert "'paths' must be a list of strings" in reasons[5]
    assert reasons[6] == cli_json(repo, "show", "nope", code=2)["errors"][0]["reason"]
    assert "unknown tool 'no_such_tool'" in reasons[7]
    assert reasons[8] == cli_json(repo, "apply", "-", "--dry-run", input="no diff here\n", code=1)["errors"][0]["reason"]

    async def stage(session: ClientSession) -> Any:
        return await session.call_tool("stage_diff", {"diff": "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+new\n"})

    error = payload(serve(empty, stage, log=tmp_path / "empty.log"), error=True)
    assert "no commits yet" in error["errors"][0]["reason"]


@pytest.mark.parametrize("where", ["missing", "file", "not-a-repo"])
def test_a_bad_repo_is_a_one_line_usage_error_before_serving(tmp_path, where):
    target = tmp_path / where
    if where == "file":
        target.write_text("x\n")
    elif where == "not-a-repo":
        target.mkdir()
    run = run_surgeon("mcp", "--repo", str(target), cwd=tmp_path, input="")
    assert_no_traceback(run)
    assert run.code == 2 and run.stdout == ""
    assert len(run.stderr.splitlines()) == 1 and run.stderr.startswith("surgeon: "), run.stderr


def test_a_name_that_is_not_utf8_travels_escaped():
    from surgeon.cli.mcp import _result

    data = {"path": "caf\udce9.py"}  # how a non-UTF-8 byte of a file name reads in Python
    result = _result(data, False)
    assert json.loads(result.model_dump_json(by_alias=True))["content"][0]["text"] == json.dumps(data, indent=2)
    assert json.loads(result.content[0].text) == data and result.structured_content is None
