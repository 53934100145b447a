"""script:<path>: scripted replies, always labelled as such, cost 0.0, in order, then a clear error."""

from __future__ import annotations

import json

import pytest

from surgeon.config import load_config
from surgeon.errors import ModelError, UsageError
from surgeon.model import make_provider
from surgeon.model.script_provider import reset_script_cursors
from surgeon.tokens import estimate_tokens

ASK = [{"role": "user", "content": "change it"}]


def write(path, replies):
    path.write_text(json.dumps(replies), encoding="utf-8")
    return path


def test_replies_in_order_labelled_scripted(tmp_path):
    script = write(tmp_path / "demo.json", [
        "first reply",
        {"text": "second reply", "usage": {"input_tokens": 900, "output_tokens": 80, "cache_read_tokens": 50}},
    ])
    provider = make_provider(f"script:{script}", load_config(None, env={}))
    assert provider.label == f"script:{script} (scripted replies)"
    progress = []
    first = provider.complete(["system"], ASK, task="edit", on_progress=progress.append)
    assert first.text == "first reply" and first.scripted and first.cost == 0.0
    assert first.model == "scripted replies" and "scripted replies" in first.label
    assert first.usage.estimated and first.usage.output_tokens == estimate_tokens("first reply") == 3
    assert progress[-1].phase == "done"
    second = provider.complete(["system"], ASK, task="retry")
    assert second.text == "second reply" and not second.usage.estimated
    assert (second.usage.input_tokens, second.usage.output_tokens, second.usage.cache_read_tokens) == (900, 80, 50)
    with pytest.raises(ModelError, match="all 2 scripted replies were used; add more replies"):
        provider.complete(["system"], ASK, task="retry")


def test_order_carries_over_to_a_new_provider_for_the_same_file(tmp_path):
    script = write(tmp_path / "r.json", ["one", "two"])
    config = load_config(None, env={})
    assert make_provider(f"script:{script}", config).complete([], ASK, task="edit").text == "one"
    assert make_provider(f"script:{script}", config).complete([], ASK, task="retry").text == "two"
    reset_script_cursors()
    assert make_provider(f"script:{script}", config).complete([], ASK, task="edit").text == "one"


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not valid JSON \\(line 1, column 2\\)"),
    ("[]", "non-empty JSON list"),
    ('{"text": "x"}', "non-empty JSON list"),
    ('[1]', "reply 1 must be a string or an object"),
    ('[{"text": "x", "usage": {"tokens": 3}}]', "usage takes whole numbers"),
    ('[{"text": "x", "usage": {"input_tokens": -3}}]', "usage takes whole numbers"),
])
def test_bad_script_files_are_usage_errors(tmp_path, content, message):
    path = tmp_path / "bad.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError, match=message) as error:
        make_provider(f"script:{path}", load_config(None, env={}))
    assert error.value.exit_code == 2
