"""Model settings through the real entry point: a CLI subprocess reaches the fake server through the
SDKs' environment variables, records usage, and says clearly when no model is configured."""

from __future__ import annotations

import json

import pytest

from tests.fakes.server import Error, Reply
from tests.helpers import run_surgeon

INSTRUCTION = "raise the proxy read timeout in the nginx config"


def test_no_key_and_no_model_exits_2_with_every_way_out(example_repo):
    result = run_surgeon("edit", INSTRUCTION, cwd=example_repo)
    assert result.code == 2 and "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.startswith("surgeon: no model configured")
    for needed in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SURGEON_OPENAI_BASE_URL", "openai-compatible:NAME"):
        assert needed in message


@pytest.mark.parametrize("flags, model", [
    ((), "claude-sonnet-5-5"),
    (("--model", "openai-compatible:qwen2.5-coder"), "qwen2.5-coder"),
])
def test_a_cli_subprocess_talks_to_the_fake_server(fake_model, example_repo, flags, model):
    fake_model.script([Error(529, headers={"retry-after": "0"}),
                       Reply("no diff here", usage={"input_tokens": 3000, "output_tokens": 20})])
    env = {**fake_model.env(), "SURGEON_MAX_ATTEMPTS": "1"}
    result = run_surgeon("edit", INSTRUCTION, "--json", *flags, cwd=example_repo, env=env)
    assert result.code == 1, result.stderr
    assert json.loads(result.stdout)["status"] == "refused"
    assert [r.body["model"] for r in fake_model.requests] == [model, model]  # the 529, then the retry
    usage = json.loads(run_surgeon("usage", "--json", cwd=example_repo).stdout)
    [row] = usage["by"]["model"]
    assert row["calls"] == 1 and row["input_tokens"] == 3000
    assert row["unknown_cost_calls"] == (1 if flags else 0)  # a local model has no published price


def test_progress_goes_to_stderr_and_json_stays_quiet(fake_model, example_repo):
    env = {**fake_model.env(), "SURGEON_MAX_ATTEMPTS": "1"}
    fake_model.script([Error(529, "Overloaded", headers={"retry-after": "0"}), Reply("no diff", chunks=4)])
    shown = run_surgeon("edit", INSTRUCTION, cwd=example_repo, env=env)
    assert "anthropic:claude-sonnet-5-5: overloaded (HTTP 529): overloaded_error: Overloaded; retry 1 of 4 in 0.0s" in shown.stderr
    assert "anthropic:claude-sonnet-5-5 · " in shown.stderr and " tokens · first token " in shown.stderr
    fake_model.script([Error(529, headers={"retry-after": "0"}), Reply("no diff")])
    quiet = run_surgeon("edit", INSTRUCTION, "--json", cwd=example_repo, env=env)
    assert quiet.stderr == "" and json.loads(quiet.stdout)["status"] == "refused"
