"""surgeon review: pre-commit checks for secrets, hard-coded origins, oversized timeouts and risky
config, with mechanical fixes proposed as minimal diffs, an optional model pass, SARIF output and the
git hook. Modules load lazily so the hook starts fast: scope (which lines), checks/* (what is wrong),
engine (pragmas, baseline), fixes (diffs), llm (--llm), sarif, hook."""

from surgeon.review.findings import SEVERITIES, Finding, TextEdit

__all__ = ["SEVERITIES", "Finding", "TextEdit"]
