"""Settings: built-in defaults, then .surgeon.toml or [tool.surgeon] in pyproject.toml, then the
environment, then command-line flags. Every value remembers where it came from."""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surgeon.errors import ConfigError

# key -> (default, type, environment variable, what it is for)
KNOWN: dict[str, tuple[Any, type, str | None, str]] = {
    "model": (None, str, "SURGEON_MODEL", "model for every task (provider:name); overrides [models]"),
    "models.edit": (None, str, "SURGEON_MODEL_EDIT", "model for surgical edits"),
    "models.review": (None, str, "SURGEON_MODEL_REVIEW", "model for review passes"),
    "models.pair": (None, str, "SURGEON_MODEL_PAIR", "model for pair sessions"),
    "models.retry": (None, str, "SURGEON_MODEL_RETRY", "model for retries after a refusal"),
    "openai_base_url": (None, str, "SURGEON_OPENAI_BASE_URL", "base URL of an OpenAI-compatible server"),
    "model_timeout": (120.0, float, "SURGEON_MODEL_TIMEOUT", "seconds a model call may wait for the next bytes"),
    "model_deadline": (None, float, "SURGEON_MODEL_DEADLINE",
                       "seconds a whole model call may take, retries included (default 5 x model_timeout)"),
    "model_retries": (4, int, "SURGEON_MODEL_RETRIES", "retries on 429/5xx/connection errors"),
    "model_backoff": (0.5, float, "SURGEON_MODEL_BACKOFF", "first retry delay in seconds (doubles each retry)"),
    "max_tokens": (4096, int, "SURGEON_MAX_TOKENS", "largest reply asked of a model"),
    "budget": (8000, int, "SURGEON_BUDGET", "tokens of located context shown to the model"),
    "max_attempts": (3, int, "SURGEON_MAX_ATTEMPTS", "model attempts per edit (first try + retries)"),
    "context_requests": (4, int, "SURGEON_CONTEXT_REQUESTS",
                         "rounds of read-only context requests a model may make in an edit (0: none)"),
    "context_budget": (None, int, "SURGEON_CONTEXT_BUDGET",
                       "tokens those requests may add to an edit (default: the edit's budget)"),
    "context_tools": ("auto", str, "SURGEON_CONTEXT_TOOLS",
                      "how a model asks for context: auto (native tool use; text for script:), native, text"),
    "max_changed_lines": (400, int, "SURGEON_MAX_CHANGED_LINES", "largest diff accepted, in changed lines"),
    "rewrite_share": (0.6, float, "SURGEON_REWRITE_SHARE", "share of an existing file a diff may replace"),
    "check": (None, str, "SURGEON_CHECK", "gate command run on every staged change"),
    "check_timeout": (600.0, float, "SURGEON_CHECK_TIMEOUT", "seconds before the gate command is stopped"),
    "check_env": ((), tuple, "SURGEON_CHECK_ENV",
                  "environment variables (names or globs) a check sees beyond the safe built-in ones"),
    "check_sandbox": ("off", str, "SURGEON_CHECK_SANDBOX",
                      "run the check without network, writing only its worktree: off, auto, bwrap, unshare"),
    "max_cost": (None, float, "SURGEON_MAX_COST", "USD a command (or a whole pair session) may spend on models"),
    "max_cost_per_day": (None, float, "SURGEON_MAX_COST_PER_DAY", "USD all model calls in this repository may spend a day"),
    "allow_unknown_price": (False, bool, "SURGEON_ALLOW_UNKNOWN_PRICE",
                            "let a model without a known price run under max_cost / max_cost_per_day"),
    "allow_unknown_names": (False, bool, "SURGEON_ALLOW_UNKNOWN_NAMES",
                            "warn instead of refusing a diff that uses imports, attributes or packages not found"),
    "review.fail_on": ("high", str, "SURGEON_FAIL_ON", "lowest severity that blocks a commit"),
    "review.max_timeout_seconds": (120.0, float, None, "largest acceptable timeout in config and clients"),
}
# key -> (lowest, highest, whether the lowest itself is allowed); values outside are refused, as is nan.
LIMITS: dict[str, tuple[float, float, bool]] = {
    "model_timeout": (0, 86400, False),
    "model_deadline": (0, 604800, False),
    "max_cost": (0, 1_000_000, True),
    "max_cost_per_day": (0, 1_000_000, True),
    "model_retries": (0, 20, True),
    "model_backoff": (0, 600, True),
    "max_tokens": (1, 1_000_000, True),
    "budget": (1, 10_000_000, True),
    "max_attempts": (1, 10, True),
    "context_requests": (0, 20, True),
    "context_budget": (1, 10_000_000, True),
    "max_changed_lines": (1, 1_000_000, True),
    "rewrite_share": (0, 1, False),
    "check_timeout": (0, 86400, False),
    "review.max_timeout_seconds": (0, 10_000_000, False),
}
_KIND_WORDS = {float: "number", int: "whole number", str: "string", bool: "true or false",
               tuple: "list of strings"}
CHOICES: dict[str, tuple[str, ...]] = {"review.fail_on": ("low", "medium", "high"),
                                       "check_sandbox": ("off", "auto", "bwrap", "unshare"),
                                       "context_tools": ("auto", "native", "text")}
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")
# Tables whose keys are free-form (a model name, a rule id ...).
OPEN_TABLES = ("pricing", "models", "review", "locate")


@dataclass(frozen=True)
class Setting:
    value: Any
    source: str


@dataclass(frozen=True)
class Config:
    settings: Mapping[str, Setting] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        setting = self.settings.get(key)
        return default if setting is None or setting.value is None else setting.value

    def source(self, key: str) -> str | None:
        setting = self.settings.get(key)
        return setting.source if setting else None

    def table(self, prefix: str) -> dict[str, Any]:
        """All values under `prefix.` with the prefix removed (e.g. table("pricing"))."""
        cut = len(prefix) + 1
        return {k[cut:]: s.value for k, s in self.settings.items() if k.startswith(prefix + ".")}

    def with_flags(self, **flags: Any) -> Config:
        """Layer command-line flags on top; None means the flag was not given."""
        merged = dict(self.settings)
        for key, value in flags.items():
            if value is None:
                continue
            dotted = key.replace("__", ".")
            merged[dotted] = Setting(_coerce(dotted, value, "--" + dotted.replace("_", "-")), "--" + dotted.replace("_", "-"))
        return Config(merged, self.files, self.warnings)


def _coerce(key: str, value: Any, where: str) -> Any:
    spec = KNOWN.get(key)
    if spec is None or value is None:
        return value
    return _in_limits(key, _typed(key, spec[1], value, where), where)


def _typed(key: str, kind: type, value: Any, where: str) -> Any:
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        raise ConfigError(f"{where}: {key} must be {_KIND_WORDS[bool]}, got {value!r}")
    if kind is tuple:
        # A TOML list of strings, or (environment, flag) one string of names separated by commas or spaces.
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
            return tuple(item.strip() for item in value if item.strip())
        raise ConfigError(f"{where}: {key} must be a {_KIND_WORDS[tuple]}, got {value!r}")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"{where}: {key} must be a {_KIND_WORDS.get(kind, kind.__name__)}, got {value!r}")


def _in_limits(key: str, value: Any, where: str) -> Any:
    if key in CHOICES and value not in CHOICES[key]:
        raise ConfigError(f"{where}: {key} must be one of {', '.join(CHOICES[key])}, got {value!r}")
    if key not in LIMITS:
        return value
    low, high, low_allowed = LIMITS[key]
    fits = math.isfinite(value) and (value >= low if low_allowed else value > low) and value <= high
    if not fits:
        lowest = f"at least {low:g}" if low_allowed else f"more than {low:g}"
        raise ConfigError(f"{where}: {key} must be {lowest} and at most {high:g}, got {value!r}")
    return value


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, dotted + "."))
        else:
            flat[dotted] = value
    return flat


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def load_config(repo_root: Path | None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    settings: dict[str, Setting] = {k: Setting(spec[0], "default") for k, spec in KNOWN.items()}
    files: list[str] = []
    warnings: list[str] = []

    file_values: dict[str, Any] = {}
    source = ""
    if repo_root is not None:
        dedicated = repo_root / ".surgeon.toml"
        pyproject = repo_root / "pyproject.toml"
        if dedicated.is_file():
            file_values, source = _flatten(_read_toml(dedicated)), ".surgeon.toml"
        elif pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {}).get("surgeon")
            if isinstance(tool, Mapping):
                file_values, source = _flatten(tool), "pyproject.toml [tool.surgeon]"
    if source:
        files.append(source)
    for key, value in file_values.items():
        if key not in KNOWN and not key.startswith(tuple(t + "." for t in OPEN_TABLES)):
            warnings.append(f"{source}: unknown setting {key!r} (ignored)")
            continue
        settings[key] = Setting(_coerce(key, value, source), source)

    for key, (_default, _kind, var, _doc) in KNOWN.items():
        if var and env.get(var):
            settings[key] = Setting(_coerce(key, env[var], var), f"env {var}")
    return Config(settings, tuple(files), tuple(warnings))
