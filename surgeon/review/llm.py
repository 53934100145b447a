"""The --llm pass: the change under review goes to the review model with secrets redacted, and its
findings (JSON lines) are merged with the mechanical ones. A proposed diff is kept only when the diff
engine applies it to the reviewed content and it writes no placeholder and no new secret."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from surgeon.git import Git
from surgeon.review.baseline import Baseline
from surgeon.review.engine import pragma_allows
from surgeon.review.findings import Finding, fingerprint, is_severity, sort_key
from surgeon.review.scope import Scope, SourceFile

if TYPE_CHECKING:
    from surgeon.config import Config
    from surgeon.git import RepoInfo
    from surgeon.model import Redactor

RULE = "llm.review"
MAX_CHARS = 60_000  # of change text sent in one request


@dataclass(frozen=True)
class LlmOutcome:
    findings: list[Finding]  # mechanical and model findings, merged and sorted
    notes: list[str]


def change_text(root: Path, chosen: Scope, never_sent: Set[str]) -> str:
    """What the model reads: the diff for --staged and --range, whole files as additions otherwise.
    A path in neither revision adds nothing to the diff; a git failure is GitFailed."""
    keep = [f.path for f in chosen.files if f.path not in never_sent]
    if not keep:
        return ""
    if chosen.content_ref is not None:
        revisions = ["--cached"] if chosen.content_ref == "" else [chosen.base_ref or "HEAD", chosen.content_ref]
        result = Git(root, config=("core.quotepath=false",)).run(
            "diff", *revisions, "-U3", "-M", "--no-color", "--no-ext-diff", "--src-prefix=a/", "--dst-prefix=b/",
            "--", *keep)
        return result.stdout.decode("utf-8", "replace")
    parts = []
    for file in chosen.files:
        if file.path in never_sent:
            continue
        body = "".join(f"+{line}\n" for line in file.lines)
        parts.append(f"--- /dev/null\n+++ b/{file.path}\n@@ -0,0 +1,{len(file.lines)} @@\n{body}")
    return "".join(parts)


def build_request(findings: Sequence[Finding], description: str, diff: str, never_sent: Set[str] = frozenset()
                  ) -> tuple[str, str]:
    """The system prompt and the request. Findings in files never sent are named by path, line and rule
    only: not even a message about their content leaves the machine."""
    from surgeon import prompt as prompts

    system, _, request = prompts.template("review").partition("=== request ===\n")
    listed = "\n".join(f"- {f.path}:{f.line} {f.rule} (file not sent)" if f.path in never_sent
                       else f"- {f.path}:{f.line} {f.rule}: {f.message}" for f in findings) or "(none)"
    for key, value in (("findings", listed), ("description", description), ("diff", diff)):
        request = request.replace("{" + key + "}", value)
    return system.strip() + "\n", request


_OBJECT = re.compile(r"\{.*\}")


def parse_reply(text: str) -> tuple[list[dict[str, object]], int]:
    """JSON objects found one per line (code fences and prose around them ignored); and how many
    lines looked like an object but did not parse."""
    objects: list[dict[str, object]] = []
    broken = 0
    for line in text.splitlines():
        match = _OBJECT.search(line.strip())
        if not match:
            broken += line.strip().startswith("{")
            continue
        try:
            value = json.loads(match.group(0))
        except ValueError:
            broken += 1
            continue
        if isinstance(value, dict):
            objects.append(value)
    return objects, broken


def _diff_for(raw: object, file: SourceFile, files: Mapping[str, SourceFile], redactor: Redactor
              ) -> tuple[str | None, str]:
    """A validated diff from the model, or (None, why it was dropped)."""
    if not isinstance(raw, str) or not raw.strip():
        return None, ""
    try:
        from surgeon.diff import extract_diff
        from surgeon.validate import check_patch
    except ImportError:
        return None, "the diff engine (surgeon.diff) is not available"
    from surgeon.validate.secrets import restore_placeholders

    text, misplaced = restore_placeholders(extract_diff(raw) or raw, redactor.restore)
    if misplaced:
        return None, "; ".join(str(r) for r in misplaced)

    def read_file(path: str) -> bytes | None:
        known = files.get(path)
        return None if known is None else known.text.encode("utf-8")

    result = check_patch(text, read_file)
    if not result.ok:
        return None, "; ".join(str(r) for r in result.refusals) or "refused by the diff engine"
    if any(c.old_content is None or c.new_content is None or c.path not in files for c in result.changes):
        return None, "it creates, deletes or renames files"
    try:
        from surgeon.validate.secrets import check_changes
    except ImportError:
        refusals = []
    else:
        refusals = check_changes(result.changes)
    if refusals:
        return None, "; ".join(str(r) for r in refusals)
    if "<<SECRET_" in result.normalised:
        return None, "it writes a secret placeholder"
    kept = [line for line in result.normalised.splitlines(keepends=True)
            if not line.startswith(("diff --git ", "index "))]
    return "".join(kept), ""


def merge_model_findings(objects: Sequence[Mapping[str, object]], files: Mapping[str, SourceFile],
                         redactor: Redactor, baseline: Baseline) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    notes: list[str] = []
    for item in objects:
        path = str(item.get("file") or item.get("path") or "").removeprefix("b/")
        file = files.get(path)
        line = item.get("line")
        severity = str(item.get("severity", "")).lower()
        message = str(item.get("message") or "").strip()
        if file is None or not isinstance(line, int) or not message or not is_severity(severity):
            notes.append(f"model finding dropped (needs a reviewed file, a line, a severity and a message): "
                         f"{json.dumps(item)[:160]}")
            continue
        if not 1 <= line <= max(len(file.lines), 1):
            notes.append(f"model finding dropped: {path} has no line {line}")
            continue
        diff, why = _diff_for(item.get("diff"), file, files, redactor)
        if why:
            notes.append(f"{path}:{line}: the model's diff was dropped: {why}")
        finding = Finding(path, line, RULE, severity, f"{message} (review model)", diff,
                          fingerprint=fingerprint(RULE, path, file.line(line)))
        if pragma_allows(file, finding) or baseline.accepts(finding):
            continue
        findings.append(finding)
    return findings, notes


def review_with_model(repo: RepoInfo, config: Config, chosen: Scope, findings: list[Finding], *,
                      model_override: str | None = None) -> LlmOutcome:
    from surgeon.model import Redactor, SpendCaps, SpendLedger, make_provider, never_send, resolve_model
    from surgeon.review import baseline as baselines

    spec = resolve_model("review", config, model_override)
    never = {f.path for f in chosen.files if never_send(f.path, repo.root)}
    notes = [f"--llm: not sent (secret files): {', '.join(sorted(never))}"] if never else []
    diff = change_text(repo.root, chosen, never)
    if not diff.strip():
        return LlmOutcome(findings, [*notes, "--llm: nothing to send to the review model"])
    if len(diff) > MAX_CHARS:
        diff = diff[:MAX_CHARS]
        notes.append(f"--llm: the change is longer than {MAX_CHARS} characters; the model saw the first part only")
    redactor = Redactor()
    system, request = build_request(findings, chosen.description, diff, never)
    # The mechanical secret findings are hidden too, even where the redactor's detectors would miss them.
    request = _mask_found_secrets(request, findings, {f.path: f for f in chosen.files})
    system, request = redactor.redact(system), redactor.redact(request)
    provider = make_provider(spec, config)
    ledger = SpendLedger(repo, SpendCaps.from_config(config))  # max_cost holds here too; billed failures logged
    completion = provider.complete([system], [{"role": "user", "content": request}], task="review", ledger=ledger)
    ledger.record("review", completion)
    objects, broken = parse_reply(completion.text)
    files = {f.path: f for f in chosen.files}
    model_findings, merge_notes = merge_model_findings(objects, files, redactor, baselines.load(repo.root))
    notes.extend(merge_notes)
    if broken:
        notes.append(f"--llm: {broken} line(s) of the model's reply were not valid JSON and were ignored")
    cost = "cost unknown" if completion.cost is None else f"${completion.cost:.4f}"
    notes.append(f"--llm: {completion.label}: {len(model_findings)} finding(s), "
                 f"{completion.usage.prompt_tokens} tokens in, {completion.usage.output_tokens} out, {cost}")
    seen = {(f.path, f.line, f.rule) for f in findings}
    merged = findings + [f for f in model_findings if (f.path, f.line, f.rule) not in seen]
    merged.sort(key=sort_key)
    return LlmOutcome(merged, notes)


def _mask_found_secrets(text: str, findings: Sequence[Finding], files: Mapping[str, SourceFile]) -> str:
    for finding in findings:
        if not finding.rule.startswith("secret.") or finding.span is None:
            continue
        file = files.get(finding.path)
        if file is None:
            continue
        start, end = finding.span
        value = file.line(finding.line)[start:end]
        if len(value) >= 6:
            text = text.replace(value, "<<SECRET_HIDDEN>>")
    return text
