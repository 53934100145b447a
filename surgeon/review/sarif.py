"""SARIF 2.1.0 output, for code-scanning dashboards (GitHub, GitLab, Azure DevOps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from surgeon import __version__
from surgeon.review.findings import Finding, printable

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"high": "error", "medium": "warning", "low": "note"}
# GitHub code scanning sorts security results by this property (0.1 - 10).
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.0", "low": "2.0"}


def to_sarif(findings: Sequence[Finding], rules: Mapping[str, str], *, seconds: float, files_checked: int
             ) -> dict[str, Any]:
    used = sorted({f.rule for f in findings} | set(rules))
    index = {rule: position for position, rule in enumerate(used)}
    severity_of = {f.rule: f.severity for f in findings}
    descriptors = []
    for rule in used:
        description = rules.get(rule, rule)
        severity = severity_of.get(rule, "medium")
        descriptors.append({
            "id": rule,
            "name": rule.replace(".", "/"),
            "shortDescription": {"text": description},
            "defaultConfiguration": {"level": LEVELS[severity]},
            "properties": {"tags": ["security", rule.split(".")[0]],
                           "security-severity": SECURITY_SEVERITY[severity]},
        })
    results = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": LEVELS[finding.severity],
            "message": {"text": printable(finding.message)},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.path), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": finding.line},
                },
            }],
            "properties": {"severity": finding.severity},
        }
        if finding.fingerprint:
            result["partialFingerprints"] = {"surgeonFingerprint/v1": finding.fingerprint}
        # A secret's fix removes the line that holds it: SARIF is uploaded to dashboards, so it
        # carries no diff (and no replacement text) for secret findings.
        if finding.diff and not finding.rule.startswith("secret"):
            result["properties"]["diff"] = printable(finding.diff)
            result["fixes"] = [{
                "description": {"text": "surgeon's proposed minimal diff (see properties.diff)"},
                "artifactChanges": _artifact_changes(finding),
            }]
        results.append(result)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "surgeon",
                "version": __version__,
                "informationUri": "https://github.com/surgeon-dev/surgeon",
                "rules": descriptors,
            }},
            "results": results,
            "columnKind": "unicodeCodePoints",
            "properties": {"filesChecked": files_checked, "seconds": round(seconds, 3)},
        }],
    }


def _artifact_changes(finding: Finding) -> list[dict[str, Any]]:
    """The diff's change blocks as SARIF replacements: delete whole old lines, insert the new ones."""
    import re

    replacements: list[dict[str, Any]] = []
    line_no = 0
    block_start: int | None = None
    removed = 0
    added: list[str] = []

    def flush() -> None:
        nonlocal block_start, removed, added
        if block_start is not None:
            region = {"startLine": block_start, "startColumn": 1, "endLine": block_start + removed, "endColumn": 1}
            replacements.append({"deletedRegion": region, "insertedContent": {"text": "".join(added)}})
        block_start, removed, added = None, 0, []

    for line in (finding.diff or "").split("\n"):
        header = re.match(r"@@ -(\d+)(?:,(\d+))? ", line)
        if header:
            flush()
            line_no = int(header.group(1)) + (1 if header.group(2) == "0" else 0)
        elif line_no == 0 or line.startswith("\\") or not line:
            continue  # file headers before the first hunk, "\ No newline at end of file"
        elif line.startswith(" "):
            flush()
            line_no += 1
        elif line.startswith("-"):
            block_start = block_start or line_no
            removed += 1
            line_no += 1
        elif line.startswith("+"):
            block_start = block_start or line_no
            added.append(line[1:] + "\n")
    flush()
    return [{"artifactLocation": {"uri": _uri(finding.path), "uriBaseId": "%SRCROOT%"}, "replacements": replacements}]


def _uri(path: str) -> str:
    """The path as SARIF's URI: unchanged, except that each byte of a name that is not UTF-8 (held as a
    surrogate escape) is percent-encoded, as a URI spells a byte (caf%E9.py)."""
    return "".join(f"%{ord(char) - 0xDC00:02X}" if 0xDC80 <= ord(char) <= 0xDCFF else char for char in path)
