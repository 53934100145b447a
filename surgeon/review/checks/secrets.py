"""Secrets: provider keys, private keys, passwords in URLs and secret-sounding assignments.

Detection is surgeon/secrets.py's `line_hits`, the one detector set that redaction and the edit
validator use too: detect-secrets' plugins (no network verification: only their regexes run), patterns
for key formats detect-secrets does not know yet (Anthropic, OpenAI project keys, Google API keys,
GitHub fine-grained tokens), literals split in two ("AKIA" "…", 'ghp_' + '…') joined, base64 text
decoded, and high-entropy literals assigned to a credential name. Values that are plainly placeholders
(EXAMPLE, xxxx, ${VAR}, <your-key>, fake_key, sequences, UUIDs) never report; tests, docs and lock files
report known formats only. Accepted findings live in the baseline file; a single line is accepted with
a `surgeon: allow secret` comment (handled by the engine).
"""

from __future__ import annotations

from surgeon.review.findings import Finding, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings
from surgeon.secrets import KEYWORD_LANGUAGES, WEAK_RULES, line_hits

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
    "secret.high-entropy": "high-entropy string assigned to a credential name",
    "secret.jwt": "JSON web token",
    "secret.token": "API token of another provider",
}


def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    findings: list[Finding] = []
    plain_code = not file.is_test and not file.is_lock and not file.is_doc
    keywords = plain_code and file.language in KEYWORD_LANGUAGES
    for number, line in file.judged_lines():
        for hit in line_hits(line, file.lines[number:number + 3], file.language, keywords=keywords):
            if hit.rule in WEAK_RULES and not plain_code:
                continue
            if hit.rule in WEAK_RULES - {"secret.url-password"}:
                message = ("a secret-sounding setting is assigned a literal: load it from the environment or a "
                           "secret store")
            else:
                message = (f"{hit.kind} added: load it from the environment or a secret store, and rotate it if "
                           "it was ever pushed")
            findings.append(Finding(file.path, number, hit.rule, "high", message,
                                    fingerprint=fingerprint(hit.rule, file.path, hit.value),
                                    span=(hit.start, hit.end)))
    return findings
