"""Which model answers which task, and the defaults chosen from what the installed SDKs know."""

from __future__ import annotations

import typing

import anthropic
import pytest
from anthropic.resources.messages.messages import DEPRECATED_MODELS
from anthropic.types import ModelParam
from openai.types import ChatModel

from surgeon.config import load_config
from surgeon.errors import ModelNotConfigured, UsageError
from surgeon.model import DEFAULT_MODELS, TASKS, make_provider, parse_spec, price_for, resolve_model
from surgeon.model.routing import ModelSpec

NO_KEYS: dict[str, str] = {}
ANTHROPIC_KEY = {"ANTHROPIC_API_KEY": "k"}


def cfg(**flags):
    return load_config(None, env={}).with_flags(**flags)


def test_defaults_follow_the_key_that_is_set():
    assert resolve_model("edit", cfg(), env=ANTHROPIC_KEY) == "anthropic:claude-sonnet-5-5"
    assert resolve_model("review", cfg(), env=ANTHROPIC_KEY) == "anthropic:claude-haiku-5-5"
    assert resolve_model("retry", cfg(), env={"ANTHROPIC_AUTH_TOKEN": "t"}) == "anthropic:claude-sonnet-5-5"
    assert resolve_model("edit", cfg(), env={"OPENAI_API_KEY": "k"}) == "openai:gpt-6-sol"
    assert resolve_model("review", cfg(), env={"OPENAI_API_KEY": "k"}) == "openai:gpt-6-luna"
    both = {**ANTHROPIC_KEY, "OPENAI_API_KEY": "k"}
    assert resolve_model("pair", cfg(), env=both) == "anthropic:claude-sonnet-5-5"


def test_precedence_override_then_model_then_task_then_edit_then_default():
    config = cfg(**{"models__review": "anthropic:claude-haiku-4-5", "models__edit": "openai-compatible:qwen"})
    assert resolve_model("review", config, env=ANTHROPIC_KEY) == "anthropic:claude-haiku-4-5"
    # no [models] retry/pair entry: they follow models.edit, never silently another provider
    assert resolve_model("retry", config, env=ANTHROPIC_KEY) == "openai-compatible:qwen"
    assert resolve_model("pair", config, env=ANTHROPIC_KEY) == "openai-compatible:qwen"
    config = config.with_flags(model="openai:gpt-6.1-terra")
    assert resolve_model("review", config, env=ANTHROPIC_KEY) == "openai:gpt-6.1-terra"
    assert resolve_model("review", config, "script:demo.json", env=NO_KEYS) == "script:demo.json"


def test_environment_and_file_settings_route(tmp_path):
    (tmp_path / ".surgeon.toml").write_text('[models]\nreview = "anthropic:claude-haiku-4-5"\n', encoding="utf-8")
    config = load_config(tmp_path, env={"SURGEON_MODEL_EDIT": "openai:gpt-6-sol"})
    assert resolve_model("edit", config, env=NO_KEYS) == "openai:gpt-6-sol"
    assert resolve_model("review", config, env=NO_KEYS) == "anthropic:claude-haiku-4-5"
    config = load_config(tmp_path, env={"SURGEON_MODEL": "anthropic:claude-opus-5-5"})
    assert resolve_model("review", config, env=NO_KEYS) == "anthropic:claude-opus-5-5"


def test_no_key_and_no_model_names_every_way_out():
    with pytest.raises(ModelNotConfigured) as error:
        resolve_model("edit", cfg(), env=NO_KEYS)
    message = str(error.value)
    for needed in ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SURGEON_OPENAI_BASE_URL", "--model openai-compatible:"):
        assert needed in message
    assert error.value.exit_code == 2


def test_a_local_server_without_a_model_name_asks_for_one():
    config = cfg(openai_base_url="http://localhost:11434/v1")
    with pytest.raises(ModelNotConfigured, match="--model openai-compatible:NAME"):
        resolve_model("edit", config, env=NO_KEYS)


def test_bad_specs_and_tasks():
    with pytest.raises(UsageError, match="did you mean openai:gpt-6-sol"):
        resolve_model("edit", cfg(), "gpt-6-sol", env=NO_KEYS)
    with pytest.raises(UsageError, match="unknown provider 'gemini'"):
        parse_spec("gemini:pro")
    with pytest.raises(UsageError, match="unknown task"):
        resolve_model("deploy", cfg(), env=ANTHROPIC_KEY)
    assert parse_spec("script:C:/tmp/a.json") == ModelSpec("script", "C:/tmp/a.json")
    assert str(parse_spec(" OpenAI-Compatible:llama3 ")) == "openai-compatible:llama3"


def _literals(alias) -> set[str]:
    found: set[str] = set()
    for arg in typing.get_args(alias):
        found |= set(typing.get_args(arg)) if typing.get_origin(arg) is typing.Literal else set()
        if isinstance(arg, str):
            found.add(arg)
    return found


def test_default_anthropic_models_are_current_in_the_installed_sdk():
    known = _literals(ModelParam)
    for task in TASKS:
        name = parse_spec(DEFAULT_MODELS["anthropic"][task]).name
        assert name in known, f"{name} is not a model anthropic {anthropic.__version__} knows"
        assert name not in DEPRECATED_MODELS, f"{name} is deprecated in anthropic {anthropic.__version__}"
        assert price_for(f"anthropic:{name}") is not None


def test_default_openai_models_are_current_in_the_installed_sdk():
    import openai.types.shared.chat_model as chat_model_module

    known = set(typing.get_args(ChatModel))
    source = open(chat_model_module.__file__, encoding="utf-8").read()
    deprecated = source.split("Deprecated values:", 1)[1] if "Deprecated values:" in source else ""
    for task in TASKS:
        name = parse_spec(DEFAULT_MODELS["openai"][task]).name
        assert name in known
        assert f'"{name}"' not in deprecated, f"{name} is deprecated in openai's SDK"
        assert price_for(f"openai:{name}") is not None


def test_make_provider_for_the_defaults_needs_only_the_key(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "k")
    provider = make_provider(resolve_model("edit", cfg()), cfg())
    assert provider.label == "anthropic:claude-sonnet-5-5"
