"""Secrets: provider keys, private keys, passwords in URLs and secret-sounding assignments.

Detection goes through detect-secrets' plugins (no network verification: only their regexes run),
plus patterns for key formats detect-secrets does not know yet (Anthropic, OpenAI project keys,
Google API keys, GitHub fine-grained tokens). Values that are plainly placeholders (EXAMPLE, xxxx,
${VAR}, <your-key>, sequences, UUIDs) never report. Accepted findings live in the baseline file;
a single line is accepted with a `surgeon: allow secret` comment (handled by the engine).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from surgeon.review.findings import Finding, fingerprint
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

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

# detect-secrets plugin class -> our rule id. Classes not named here report as secret.token.
_PLUGINS: dict[str, str] = {
    "aws.AWSKeyDetector": "secret.aws",
    "github_token.GitHubTokenDetector": "secret.github",
    "gitlab_token.GitLabTokenDetector": "secret.gitlab",
    "slack.SlackDetector": "secret.slack",
    "stripe.StripeDetector": "secret.stripe",
    "openai.OpenAIDetector": "secret.openai",
    "private_key.PrivateKeyDetector": "secret.private-key",
    "basic_auth.BasicAuthDetector": "secret.url-password",
    "jwt.JwtTokenDetector": "secret.jwt",
    "artifactory.ArtifactoryDetector": "secret.token",
    "azure_storage_key.AzureStorageKeyDetector": "secret.token",
    "discord.DiscordBotTokenDetector": "secret.token",
    "mailchimp.MailchimpDetector": "secret.token",
    "npm.NpmDetector": "secret.token",
    "pypi_token.PypiTokenDetector": "secret.token",
    "sendgrid.SendGridDetector": "secret.token",
    "square_oauth.SquareOAuthDetector": "secret.token",
    "telegram_token.TelegramBotTokenDetector": "secret.token",
    "twilio.TwilioKeyDetector": "secret.token",
    "ibm_cloud_iam.IbmCloudIamDetector": "secret.token",
    "ibm_cos_hmac.IbmCosHmacDetector": "secret.token",
    "softlayer.SoftlayerDetector": "secret.token",
    "cloudant.CloudantDetector": "secret.token",
}

# Formats detect-secrets 1.5 does not cover.
_EXTRA: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("secret.anthropic", re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,}"), "Anthropic API key"),
    ("secret.openai", re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}"), "OpenAI API key"),
    ("secret.google", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), "Google API key"),
    ("secret.github", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}"), "GitHub fine-grained token"),
    # detect-secrets' pattern stops at "$", "!" and other sub-delimiters, which raw passwords often hold.
    ("secret.url-password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"`]+:([^\s@/'\"`]{4,})@[\w.-]"),
     "password in a URL"),
)

# A value containing one of these is a placeholder, a documentation example or a test fixture.
_PLACEHOLDER = re.compile(
    r"example|dummy|fake|placeholder|changeme|change[_-]me|replace[_-]?me|redacted|sample|your[_-]|"
    r"xxxx|\*\*\*\*|<[^>]*>|\$\{|\$\(|\{\{|%\(|\.\.\.|lorem|notasecret|not[_-]a[_-]secret",
    re.IGNORECASE,
)
# Whole values that are the name of what belongs there: user:password@host, PASSWORD=secret.
_PLACEHOLDER_WORDS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key",
                                "key", "user", "username", "changeit", "admin", "root", "none", "null"})
_ENV_REFERENCE = re.compile(r"^\$[A-Z_][A-Z0-9_]*$")  # $DB_PASSWORD (case matters: "Pq9$wLm" is a password)
_SAME_CHAR_RUN = re.compile(r"(.)\1{7,}")  # "aaaaaaaa", "00000000"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_INDIRECT = re.compile(r"(getenv|environ|process\.env|os\.Getenv|ENV\[|secrets\.|vault|\bget_secret)", re.I)
# Lines whose language has no reliable keyword form (prose, markup) skip the keyword plugin.
_KEYWORD_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp",
                                "bash", "yaml", "toml", "ini", "dotenv", "json", "dockerfile", "systemd"})


@dataclass(frozen=True)
class _Detector:
    rule: str
    kind: str  # words for the message: "AWS access key"
    patterns: tuple[re.Pattern[str], ...] | None  # None: a detect-secrets plugin with its own logic
    plugin: object | None


@cache
def _detectors() -> tuple[_Detector, ...]:
    import importlib

    detectors = []
    for dotted, rule in _PLUGINS.items():
        module_name, class_name = dotted.split(".")
        module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
        plugin = getattr(module, class_name)()
        detectors.append(_Detector(rule, str(plugin.secret_type), None, plugin))
    for rule, pattern, kind in _EXTRA:
        detectors.append(_Detector(rule, kind, (pattern,), None))
    return tuple(detectors)


@cache
def _any_pattern() -> re.Pattern[str] | None:
    """All detector patterns in one alternation: one scan rules out the many lines that hold no secret.
    None when they cannot be combined (a back-reference, a global flag), and every detector runs."""
    parts = []
    for detector in _detectors():
        patterns = detector.patterns or tuple(getattr(detector.plugin, "denylist", ()))
        for pattern in patterns:
            if re.search(r"\\\d|\(\?P=|^\(\?[a-zA-Z]+\)", pattern.pattern):
                return None
            flags = "i" if pattern.flags & re.IGNORECASE else ""
            parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


@cache
def _keyword_words() -> re.Pattern[str]:
    """The keyword plugin's own names (password, secret, api_key ...): lines without one skip it."""
    from detect_secrets.plugins import keyword

    return re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)


@cache
def _keyword_plugin():
    from detect_secrets.plugins.keyword import KeywordDetector

    return KeywordDetector()


def _keyword_regexes(language: str | None):
    from detect_secrets.plugins import keyword

    table = {
        "python": keyword.FileType.PYTHON, "javascript": keyword.FileType.JAVASCRIPT,
        "typescript": keyword.FileType.JAVASCRIPT, "tsx": keyword.FileType.JAVASCRIPT,
        "go": keyword.FileType.GO, "java": keyword.FileType.JAVA, "yaml": keyword.FileType.YAML,
        "toml": keyword.FileType.TOML, "ini": keyword.FileType.INI, "dotenv": keyword.FileType.CONFIG,
        "systemd": keyword.FileType.CONFIG,
    }
    filetype = table.get(language or "")
    return keyword.REGEX_BY_FILETYPE.get(filetype, keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP)


def is_placeholder(value: str) -> bool:
    """True for values that only look like secrets: examples, templates, masks, sequences, UUIDs."""
    from detect_secrets.filters import heuristic

    stripped = value.strip("'\"` ")
    return bool(
        not stripped
        or stripped.lower() in _PLACEHOLDER_WORDS
        or _PLACEHOLDER.search(stripped)
        or _ENV_REFERENCE.match(stripped)
        or _SAME_CHAR_RUN.search(stripped)
        or _UUID.match(stripped)
        or heuristic.is_sequential_string(stripped)
        or heuristic.is_templated_secret(stripped)
        or heuristic.is_prefixed_with_dollar_sign(stripped)
    )


def _looks_secret(value: str) -> bool:
    """For keyword matches: long enough, no spaces, and mixing character classes like a real secret."""
    if len(value) < 8 or any(ch.isspace() for ch in value):
        return False
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))
    return classes >= 2 and not re.fullmatch(r"[A-Za-z]+(?:[-_.][A-Za-z]+)*", value)


def _matches(detector: _Detector, line: str) -> Iterator[str]:
    """Each secret found on the line. detect-secrets' own analyze_string yields the first capture group,
    which for some patterns is only a prefix ("ghp" of a GitHub token); here a group counts as the secret
    only when it is secret-sized, otherwise the whole match does."""
    patterns = detector.patterns
    if patterns is None:
        patterns = tuple(getattr(detector.plugin, "denylist", ()))
    for pattern in patterns:
        for match in pattern.finditer(line):
            groups = [group for group in match.groups() if group]
            longest = max(groups, key=len) if groups else ""
            value = longest if len(longest) >= 8 else match.group(0)
            validator = getattr(detector.plugin, "is_formally_valid", None)  # the JWT plugin decodes tokens
            if validator is None or validator(value):
                yield value


_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")


def _has_key_material(file: SourceFile, number: int, line: str) -> bool:
    """A BEGIN ... PRIVATE KEY marker followed by real base64, not a format description in docs."""
    after_marker = line.split("PRIVATE KEY", 1)[-1]
    if _KEY_BODY.search(after_marker.replace("\\n", "\n")):
        return True
    for following in file.lines[number:number + 3]:
        body = following.strip().strip("'\",")
        if body.startswith(("Proc-Type:", "Comment:", "Encryption:")) or _KEY_BODY.fullmatch(body):
            return True
    return False


def check(file: SourceFile, settings: ReviewSettings) -> list[Finding]:
    findings: list[Finding] = []
    keyword_ok = (file.language in _KEYWORD_LANGUAGES and not file.is_test and not file.is_lock
                  and not file.is_doc)
    for number, line in file.judged_lines():
        if len(line) > 4000:  # minified bundles and data blobs
            line = line[:4000]
        seen: set[str] = set()
        prefilter = _any_pattern()
        for detector in _detectors() if prefilter is None or prefilter.search(line) else ():
            for value in _matches(detector, line):
                if value in seen or is_placeholder(value):
                    continue
                if detector.rule == "secret.url-password" and _INDIRECT.search(value):
                    continue
                if detector.rule == "secret.private-key" and not _has_key_material(file, number, line):
                    continue
                seen.add(value)
                start = max(line.find(value), 0)
                findings.append(Finding(
                    file.path, number, detector.rule, "high",
                    f"{detector.kind} added: load it from the environment or a secret store, "
                    "and rotate it if it was ever pushed",
                    fingerprint=fingerprint(detector.rule, file.path, value), span=(start, start + len(value)),
                ))
        if keyword_ok and not seen and _keyword_words().search(line) and not _INDIRECT.search(line):
            for value in _keyword_plugin().analyze_string(line, denylist_regex_to_group=_keyword_regexes(
                    file.language)):
                if not value or value in seen or is_placeholder(value) or not _looks_secret(value):
                    continue
                from detect_secrets.filters import heuristic

                if heuristic.is_likely_id_string(value, line) or heuristic.is_indirect_reference(line):
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
