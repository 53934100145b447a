"""Secrets: provider keys, private keys, passwords in URLs and secret-sounding assignments.

Detection is the REVIEW configuration of surgeon/secrets.py: detect-secrets' plugins (no network
verification: only their regexes run), plus patterns for key formats detect-secrets does not know yet
(Anthropic, OpenAI project keys, Google API keys, GitHub fine-grained tokens). Values that are plainly placeholders (EXAMPLE, xxxx,
${VAR}, <your-key>, sequences, UUIDs) never report. Accepted findings live in the baseline file;
a single line is accepted with a `surgeon: allow secret` comment (handled by the engine).
"""

from __future__ import annotations

from surgeon.review.findings import Finding, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings
from surgeon.secrets import (
    INDIRECT_REFERENCE,
    KEYWORD_LANGUAGES,
    detector_matches,
    has_key_material,
    is_keyword_false_positive,
    is_placeholder,
    keyword_plugin,
    keyword_regexes,
    keyword_words,
    looks_secret,
    review_detectors,
    review_prefilter,
)

RULES: dict[str, str] = {
    "secret.aws": "AWS access key",
    "secret.github": "GitHub token",
    "secret.gitlab": "GitLab token",
    "secret.slack": "Slack token or webhook",
    "secret.stripe": "Stripe live key",
    "secret.openai": "OpenAI API key",
    "secret.anthropic": "Anthropic API key",
    "secret.google": "Google API key",
    "secret.private-key": "private key",
    "secret.url-password": "password in a URL",
    "secret.password": "secret-sounding name assigned a literal value",
    "secret.jwt": "JSON web token",
    "secret.token": "API token of another provider",
}



def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    findings: list[Finding] = []
    keyword_ok = (file.language in KEYWORD_LANGUAGES and not file.is_test and not file.is_lock
                  and not file.is_doc)
    for number, line in file.judged_lines():
        if len(line) > 4000:  # minified bundles and data blobs
            line = line[:4000]
        seen: set[str] = set()
        prefilter = review_prefilter()
        for detector in review_detectors() if prefilter is None or prefilter.search(line) else ():
            for value in detector_matches(detector, line):
                if value in seen or is_placeholder(value):
                    continue
                if detector.rule == "secret.url-password" and INDIRECT_REFERENCE.search(value):
                    continue
                if detector.rule == "secret.private-key" and not has_key_material(
                        line, file.lines[number:number + 3]):
                    continue
                seen.add(value)
                start = max(line.find(value), 0)
                findings.append(Finding(
                    file.path, number, detector.rule, "high",
                    f"{detector.kind} added: load it from the environment or a secret store, "
                    "and rotate it if it was ever pushed",
                    fingerprint=fingerprint(detector.rule, file.path, value), span=(start, start + len(value)),
                ))
        if keyword_ok and not seen and keyword_words().search(line) and not INDIRECT_REFERENCE.search(line):
            for value in keyword_plugin().analyze_string(line, denylist_regex_to_group=keyword_regexes(
                    file.language)):
                if not value or value in seen or is_placeholder(value) or not looks_secret(value):
                    continue
                if is_keyword_false_positive(value, line):
                    continue
                seen.add(value)
                start = max(line.find(value), 0)
                findings.append(Finding(
                    file.path, number, "secret.password", "high",
                    "a secret-sounding setting is assigned a literal: load it from the "
                    "environment or a secret store",
                    fingerprint=fingerprint("secret.password", file.path, value), span=(start, start + len(value)),
                ))
    return findings
