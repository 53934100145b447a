"""Spend caps through the real CLI: max_cost per command and per pair session, max_cost_per_day
over the usage log, unknown prices, and calls that broke off after they were billed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_edit import PRICING, TAX_DIFF
from tests.fakes.server import Error, Reply
from tests.helpers import make_repo, run_surgeon

INSTRUCTION = "set TAX_RATE to 0.25"
# At claude-sonnet-5-5's price ($2 in / $10 out per million) a request with the default max_tokens
# (4096) may cost about $0.044; a reply that read 100,000 tokens cost $0.201.
EXPENSIVE = {"input_tokens": 100_000, "output_tokens": 100}
NO_DIFF = "I would change the tax rate."


@pytest.fixture
def shop(tmp_path):
    return make_repo(tmp_path / "shop", {"pricing.py": PRICING})


def edit(repo: Path, fake_model, *args: str, env: dict[str, str] | None = None):
    return run_surgeon("edit", INSTRUCTION, *args, "--json", cwd=repo, env={**fake_model.env(), **(env or {})})


def usage_lines(repo: Path) -> list[dict]:
    log = repo / ".git" / "surgeon" / "usage.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def one_line_refusal(result) -> str:
    assert result.code == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("surgeon: ")
    return last


def test_a_request_that_could_pass_max_cost_is_not_sent(shop, fake_model):
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, "--max-cost", "0.01")
    message = one_line_refusal(result)
    assert "max_cost = $0.01 (from --max-cost) could be passed" in message and "not sent" in message
    assert json.loads(result.stdout)["status"] == "refused"
    assert fake_model.requests == [] and usage_lines(shop) == []


def test_max_cost_counts_the_earlier_attempts_and_keeps_them(shop, fake_model):
    fake_model.script([Reply(NO_DIFF, usage=EXPENSIVE), TAX_DIFF.replace("{rate}", "0.25")])
    result = edit(shop, fake_model, env={"SURGEON_MAX_COST": "0.22"})
    message = one_line_refusal(result)
    assert "spent this command" in message and "$0.2010" in message
    out = json.loads(result.stdout)
    assert out["status"] == "refused"
    assert [a["status"] for a in out["attempts"]] == ["refused", "failed"]
    assert out["attempts"][0]["cost"] == pytest.approx(0.201)
    assert "max_cost = $0.22 (from env SURGEON_MAX_COST)" in out["errors"][0]["reason"]
    assert len(fake_model.requests) == 1


def test_an_unknown_price_counts_as_over_the_cap_unless_allowed(shop, fake_model):
    fake_model.script([NO_DIFF])
    local = ("--model", "openai-compatible:qwen2.5-coder", "--max-attempts", "1")
    result = edit(shop, fake_model, *local, env={"SURGEON_MAX_COST": "10"})
    message = one_line_refusal(result)
    assert "its price is unknown" in message and "allow_unknown_price" in message
    assert fake_model.requests == []
    allowed = edit(shop, fake_model, *local, env={"SURGEON_MAX_COST": "10", "SURGEON_ALLOW_UNKNOWN_PRICE": "true"})
    assert allowed.code == 1 and json.loads(allowed.stdout)["attempts"][0]["status"] == "refused"
    assert len(fake_model.requests) == 1


def test_max_cost_per_day_counts_what_the_usage_log_holds_for_today(shop, fake_model):
    fake_model.script([Reply(NO_DIFF, usage=EXPENSIVE)])
    first = edit(shop, fake_model, "--max-attempts", "1")
    assert first.code == 1 and len(fake_model.requests) == 1
    fake_model.script([TAX_DIFF.replace("{rate}", "0.25")])
    second = edit(shop, fake_model, env={"SURGEON_MAX_COST_PER_DAY": "0.22"})
    message = one_line_refusal(second)
    assert "max_cost_per_day = $0.22" in message and "$0.2010 spent today" in message
    assert len(fake_model.requests) == 1
    roomy = edit(shop, fake_model, env={"SURGEON_MAX_COST_PER_DAY": "1"})
    assert roomy.code == 0, roomy.stdout + roomy.stderr


def test_a_call_that_broke_off_after_it_was_billed_is_in_the_usage_log(shop, fake_model):
    # the fake streams message_start (10 input tokens) and part of a reply, then an overloaded error
    fake_model.script([Error(529, mid_stream=True), Error(529, mid_stream=True)])
    result = edit(shop, fake_model, env={"SURGEON_MODEL_RETRIES": "1", "SURGEON_MODEL_BACKOFF": "0"})
    assert result.code == 3, result.stdout + result.stderr
    lines = usage_lines(shop)
    assert len(lines) == 2 and all(line["failed"] and line["input_tokens"] == 10 for line in lines)
    assert all(line["cost"] > 0 and line["tokens_estimated"] for line in lines)
    usage = json.loads(run_surgeon("usage", "--json", cwd=shop).stdout)
    assert usage["total"]["calls"] == 2


def test_max_cost_caps_a_whole_pair_session(shop, fake_model):
    fake_model.script([Reply(NO_DIFF, usage=EXPENSIVE), TAX_DIFF.replace("{rate}", "0.25")])
    run = run_surgeon("pair", "--max-cost", "0.22", "--json", cwd=shop,
                      env={**fake_model.env(), "SURGEON_MAX_ATTEMPTS": "1"},
                      input=f"{INSTRUCTION}\n{INSTRUCTION} please\n")
    assert run.code == 0, run.stderr
    assert "max_cost = $0.22 (from --max-cost) could be passed" in run.stderr and "spent this pair session" in run.stderr
    session = json.loads(run.stdout)
    assert [t["status"] for t in session["turns"]] == ["refused", "failed"]
    assert len(fake_model.requests) == 1
