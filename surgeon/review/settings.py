"""Review settings from the `[review]` table of .surgeon.toml (or [tool.surgeon.review])."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from surgeon.errors import ConfigError
from surgeon.review.findings import SEVERITIES, Severity, is_severity

if TYPE_CHECKING:
    from surgeon.config import Config


@dataclass(frozen=True)
class ReviewSettings:
    fail_on: Severity = "high"  # lowest severity that makes `surgeon review` exit 1
    max_timeout_seconds: float = 120.0  # longest acceptable timeout in nginx, systemd and HTTP clients
    fix_timeout_seconds: float = 10.0  # the timeout a proposed fix writes into a client call
    disable: tuple[str, ...] = ()  # rule ids or prefixes ("origin", "origin.url") that never report

    def enabled(self, rule: str) -> bool:
        return not any(rule == off or rule.startswith(off + ".") for off in self.disable)

    @classmethod
    def from_config(cls, config: Config, fail_on: str | None = None) -> ReviewSettings:
        def number(key: str, default: float) -> float:
            value = config.get(f"review.{key}", default)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"review.{key} must be a positive number of seconds, got {value!r}")
            return float(value)

        chosen = fail_on or config.get("review.fail_on", "high")
        if not is_severity(chosen):
            raise ConfigError(f"review.fail_on must be one of {', '.join(SEVERITIES)}, got {chosen!r}")
        disable = config.get("review.disable", ())
        if isinstance(disable, str):
            disable = (disable,)
        if not all(isinstance(rule, str) for rule in disable):
            raise ConfigError(f"review.disable must be a list of rule ids, got {disable!r}")
        return cls(
            fail_on=chosen,
            max_timeout_seconds=number("max_timeout_seconds", 120.0),
            fix_timeout_seconds=number("fix_timeout_seconds", 10.0),
            disable=tuple(disable),
        )
