"""surgeon review: pre-commit checks for secrets, hard-coded origins, oversized timeouts and risky
config, with mechanical fixes proposed as minimal diffs, an optional model pass, SARIF output and the
git hook. Modules load lazily so the hook starts fast: scope (which lines), checks/* (what is wrong),
engine (pragmas, baseline), run (one review), fixes (diffs), stage_fixes (--fix), llm (--llm), sarif,
hook."""

from surgeon.review.findings import SEVERITIES, Finding, Severity, TextEdit

__all__ = ["SEVERITIES", "Finding", "Severity", "TextEdit"]
