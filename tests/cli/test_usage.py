"""The usage log and `surgeon usage`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from surgeon.config import load_config
from surgeon.git import find_repo
from surgeon.model import Completion, Usage, make_provider, read_usage, record_usage, summarise, usage_log
from surgeon.model.usage import cost_summary_text, total, usage_line
from tests.fakes.server import Reply
from tests.helpers import make_repo, run_surgeon


def completion(label="anthropic:claude-sonnet-5-5", cost=0.01, **usage) -> Completion:
    tokens = {"input_tokens": 1000, "output_tokens": 100, **usage}
    return Completion(text="x", model=label.split(":", 1)[1], label=label, usage=Usage(**tokens), seconds=2.5,
                      first_token_seconds=0.4, cost=cost, spec=label)


@pytest.fixture
def repo(tmp_path):
    return find_repo(make_repo(tmp_path / "repo", {"a.txt": "a\n"}))


def test_a_real_call_is_recorded_with_tokens_time_and_cost(fake_model, repo):
    fake_model.script([Reply("ok", usage={"input_tokens": 1200, "output_tokens": 80, "cache_read_tokens": 3000,
                                          "cache_write_tokens": 500})])
    done = make_provider("anthropic:claude-sonnet-5-5", load_config(repo.root, env={})).complete(
        ["sys"], [{"role": "user", "content": "hi"}], task="edit")
    record_usage(repo, "edit", done)
    path = repo.root / ".git" / "surgeon" / "usage.jsonl"
    assert usage_log(repo) == path
    [line] = path.read_text(encoding="utf-8").splitlines()
    data = json.loads(line)
    assert data["task"] == "edit" and data["model"] == "anthropic:claude-sonnet-5-5" and data["scripted"] is False
    assert (data["input_tokens"], data["output_tokens"], data["cache_read_tokens"], data["cache_write_tokens"]) == (
        1200, 80, 3000, 500)
    assert data["cost"] == pytest.approx((1200 * 2 + 80 * 10 + 3000 * 0.10 + 500 * 2.50) / 1e6)
    assert data["seconds"] >= data["first_token_seconds"] >= 0
    assert datetime.fromisoformat(data["time"]).tzinfo is not None and len(data["day"]) == 10


def test_usage_line_keeps_unknown_cost_as_null():
    when = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)
    line = usage_line("review", completion("openai-compatible:llama3", cost=None), when)
    assert line["cost"] is None and line["time"] == "2026-11-02T23:30:00+00:00"


def test_summaries_by_day_task_and_model(repo):
    record_usage(repo, "edit", completion(cost=0.02))
    record_usage(repo, "retry", completion(cost=0.01, cache_read_tokens=500))
    record_usage(repo, "review", completion("openai-compatible:llama3", cost=None))
    records, skipped = read_usage(usage_log(repo))
    assert skipped == 0 and len(records) == 3
    by_model = summarise(records, "model")
    assert [(r.key, r.calls, r.unknown_cost_calls) for r in by_model] == [
        ("anthropic:claude-sonnet-5-5", 2, 0), ("openai-compatible:llama3", 1, 1)]
    assert by_model[0].cost == pytest.approx(0.03) and by_model[0].cache_read_tokens == 500
    assert [r.key for r in summarise(records, "task")] == ["edit", "retry", "review"]
    [today] = summarise(records, "day")
    assert today.calls == 3 and cost_summary_text(today) == "$0.0300 + 1 call cost unknown"
    assert cost_summary_text(total(records[2:])) == "cost unknown (1 call)"
    with pytest.raises(ValueError):
        summarise(records, "week")


def test_surgeon_usage_command(repo):
    record_usage(repo, "edit", completion(cost=0.0123))
    record_usage(repo, "review", completion("openai-compatible:llama3", cost=None, cache_write_tokens=40))
    with usage_log(repo).open("a", encoding="utf-8") as log:
        log.write("not json\n")
    result = run_surgeon("usage", "--json", cwd=repo.root)
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"repo", "log", "skipped_lines", "total", "by"}
    assert data["skipped_lines"] == 1 and data["total"]["calls"] == 2
    assert data["total"]["cost"] == pytest.approx(0.0123) and data["total"]["unknown_cost_calls"] == 1
    assert list(data["by"]) == ["day", "task", "model"]
    assert {row["key"] for row in data["by"]["model"]} == {"anthropic:claude-sonnet-5-5", "openai-compatible:llama3"}

    only = json.loads(run_surgeon("usage", "--json", "--by", "task", "--repo", str(repo.root), cwd=repo.root.parent).stdout)
    assert list(only["by"]) == ["task"] and only["by"]["task"][0]["key"] == "edit"

    human = run_surgeon("usage", cwd=repo.root)
    assert human.code == 0
    assert "2 calls" in human.stdout and "$0.0123 + 1 call cost unknown" in human.stdout
    assert "by model" in human.stdout and "openai-compatible:llama3" in human.stdout
    assert "cost unknown" in human.stdout and "1 unreadable line" in human.stdout


def test_surgeon_usage_with_no_log_and_outside_a_repo(tmp_path, repo):
    empty = run_surgeon("usage", cwd=repo.root)
    assert empty.code == 0 and "no model calls recorded yet" in empty.stdout
    outside = tmp_path / "plain"
    outside.mkdir()
    result = run_surgeon("usage", cwd=outside)
    assert result.code == 2 and "not inside a git repository" in result.stderr and "Traceback" not in result.stderr
