"""The one detector set: which detect-secrets plugins run, the patterns added to them and the filters
that drop values which only look like secrets. Nothing here writes, sends or reports: callers decide.

Two named configurations live here, each keeping the behaviour its caller has always had (a later
change may merge them; their differences are listed in REDACTION and REVIEW below):

REDACTION  what never leaves the machine and what a diff may not add: `find_secrets` (used by
           model/redact.py to replace values with placeholders, and by validate/secrets.py to refuse
           a diff that adds a secret). Every detect-secrets plugin except IPPublicDetector, the high
           entropy ones included, with detect-secrets' default heuristic filters, run line by line;
           plus a PEM private-key block spanning lines, and a line that is nothing but a long
           high-entropy base64 run (the body of a key cut off from its header).

REVIEW     what `surgeon review` reports: `review_detectors` (named plugins mapped to rule ids, and
           patterns for key formats detect-secrets does not know yet), the keyword plugin with the
           regexes of the file's language, and the filters `is_placeholder`, `looks_secret`,
           `INDIRECT_REFERENCE` and `has_key_material`. No high-entropy plugins: a long random string
           in a diff is not reported unless a known format or a keyword assignment holds it.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # detect-secrets loads when a scan runs
    from detect_secrets.plugins.base import BasePlugin
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
    from detect_secrets.plugins.keyword import KeywordDetector

# --- placeholders ---------------------------------------------------------------------------------------
# What redaction writes instead of a value. Detection skips them, so a redacted text stays redacted.

PLACEHOLDER_RE = re.compile(r"<<SECRET_(\d+)>>")
PLACEHOLDER_PREFIX_RE = re.compile(r"<<\s*SECRET_\d+")


# --- REDACTION ------------------------------------------------------------------------------------------

# Some detectors report only part of a token (GitHub's "ghp", a JWT without its signature): a
# value is widened to the right over these characters.
_WIDEN_CHARS = "A-Za-z0-9_+/=.-"

_PEM_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?-----END \1-----", re.S)
_PEM_OPEN = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?:\r?\n|\\n)[ \t]*[A-Za-z0-9+/=:,\- ]*)*")
_BASE64_LINE = re.compile(r"^\s*([A-Za-z0-9+/]{40,}={0,2})\s*$")

SKIPPED_PLUGINS = {"IPPublicDetector"}  # public IP addresses are not secrets here
# Values a keyword detector can report (`password = "true"`) that are never secrets; replacing
# them everywhere would hide every `true` in the code from the model.
NOT_SECRETS = frozenset({"true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "test"})
CONFIG_FILENAME = "surgeon-redact.yaml"  # makes KeywordDetector read `key: value` and `KEY=value`
_CODE_REFERENCE = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+[;,]?$")


@dataclass(frozen=True)
class FoundSecret:
    value: str
    kind: str  # the detector's name for it, e.g. "Secret Keyword", "AWS Access Key", "Private Key"
    line: int  # 1-based line of the text where it starts


_detect_lock = threading.Lock()


@lru_cache(maxsize=1)
def redaction_plugins() -> tuple[BasePlugin, ...]:
    """Every plugin detect-secrets has, but SKIPPED_PLUGINS, in the order of their class names."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes: Iterable[type[BasePlugin]] = get_mapping_from_secret_type_to_class().values()
    return tuple(cls() for cls in sorted(classes, key=lambda c: c.__name__) if cls.__name__ not in SKIPPED_PLUGINS)


def _filtered(value: str, line: str, plugin: BasePlugin) -> bool:
    """detect-secrets' default heuristic filters (the ones that apply to a line of text)."""
    from detect_secrets.filters import heuristic

    return bool(
        heuristic.is_sequential_string(value)
        or heuristic.is_potential_uuid(value)
        or heuristic.is_likely_id_string(value, line, plugin)
        or heuristic.is_templated_secret(value)
        or heuristic.is_prefixed_with_dollar_sign(value)
        or heuristic.is_indirect_reference(line)
        or heuristic.is_not_alphanumeric_string(value)
        or value.lower() in NOT_SECRETS
        or bool(PLACEHOLDER_RE.search(value))
    )


def _widen(value: str, line: str) -> str:
    start = line.find(value)
    if start < 0:
        return value
    end = start + len(value)
    token = re.compile(f"[{_WIDEN_CHARS}]")
    while end < len(line) and token.match(line[end]) and token.match(line[end - 1]):
        end += 1
    return line[start:end].rstrip(".")


@lru_cache(maxsize=1)
def _base64_entropy() -> Base64HighEntropyString:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString()


def _entropy_ok(value: str) -> bool:
    detector = _base64_entropy()
    return bool(detector.calculate_shannon_entropy(value) >= detector.entropy_limit)


def _scan_line(line: str, filename: str) -> Iterator[tuple[str, str]]:
    for plugin in redaction_plugins():
        name = type(plugin).__name__
        modes = [filename]
        if name == "KeywordDetector" and filename != CONFIG_FILENAME:
            modes.append(CONFIG_FILENAME)
        for mode in modes:
            for found in plugin.analyze_line(filename=mode, line=line, line_number=0):
                value = found.secret_value
                if not value or _filtered(value, line, plugin):
                    continue
                if mode == CONFIG_FILENAME and mode != filename and (
                    " " in value.strip() or _CODE_REFERENCE.match(value) or "(" in value
                ):
                    continue  # `password: str) -> bool` or `secret_key = settings.secret_key`
                yield _widen(value, line), str(plugin.secret_type)


def find_secrets(text: str, path: str | None = None) -> list[FoundSecret]:
    """Every secret value in `text` (REDACTION), in the order they first appear. `path` (when the
    text is one file) lets the keyword detector read the file the way its type is written."""
    found: dict[str, FoundSecret] = {}
    first: dict[str, int] = {}

    def add(value: str, kind: str, offset: int) -> None:
        if value and value not in found:
            found[value] = FoundSecret(value, kind, text.count("\n", 0, offset) + 1)
            first[value] = offset

    masked = text
    for pattern in (_PEM_BLOCK, _PEM_OPEN):  # whole blocks first, then a block cut off before its end
        for match in pattern.finditer(masked):
            value = match.group(0).rstrip()
            add(value, "Private Key", max(0, text.find(value)))
        for value in list(found):
            masked = masked.replace(value, "")
    filename = Path(path).name if path else "adhoc"
    with _detect_lock:  # detect-secrets keeps global settings and caches
        for line in masked.splitlines():
            base64_line = _BASE64_LINE.match(line)
            if base64_line and _entropy_ok(base64_line.group(1)):
                add(base64_line.group(1), "Base64 High Entropy String", text.find(base64_line.group(1)))
            elif line.strip():
                for value, kind in _scan_line(line, filename):
                    add(value, kind, max(0, text.find(value)))
    return sorted(found.values(), key=lambda s: first[s.value])


# --- REVIEW ---------------------------------------------------------------------------------------------

# detect-secrets plugin class -> the review rule id it reports under.
REVIEW_PLUGINS: dict[str, str] = {
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

# Formats detect-secrets 1.5 does not cover: (rule, pattern, words for the message).
REVIEW_EXTRA_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
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
# A line (or a URL password) that reads its value from somewhere else.
INDIRECT_REFERENCE = re.compile(r"(getenv|environ|process\.env|os\.Getenv|ENV\[|secrets\.|vault|\bget_secret)",
                                re.I)
# Lines whose language has no reliable keyword form (prose, markup) skip the keyword plugin.
KEYWORD_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp",
                               "bash", "yaml", "toml", "ini", "dotenv", "json", "dockerfile", "systemd"})


@dataclass(frozen=True)
class Detector:
    rule: str
    kind: str  # words for the message: "AWS access key"
    patterns: tuple[re.Pattern[str], ...] | None  # None: a detect-secrets plugin with its own logic
    plugin: object | None


@cache
def review_detectors() -> tuple[Detector, ...]:
    """REVIEW_PLUGINS, then REVIEW_EXTRA_PATTERNS, in the order they are listed."""
    detectors = []
    for dotted, rule in REVIEW_PLUGINS.items():
        module_name, class_name = dotted.split(".")
        module = importlib.import_module(f"detect_secrets.plugins.{module_name}")
        plugin = getattr(module, class_name)()
        detectors.append(Detector(rule, str(plugin.secret_type), None, plugin))
    for rule, pattern, kind in REVIEW_EXTRA_PATTERNS:
        detectors.append(Detector(rule, kind, (pattern,), None))
    return tuple(detectors)


def _patterns(detector: Detector) -> tuple[re.Pattern[str], ...]:
    if detector.patterns is not None:
        return detector.patterns
    return tuple(getattr(detector.plugin, "denylist", ()))


@cache
def review_prefilter() -> re.Pattern[str] | None:
    """All detector patterns in one alternation: one scan rules out the many lines that hold no secret.
    None when they cannot be combined (a back-reference, a global flag), and every detector runs."""
    parts = []
    for detector in review_detectors():
        for pattern in _patterns(detector):
            if re.search(r"\\\d|\(\?P=|^\(\?[a-zA-Z]+\)", pattern.pattern):
                return None
            flags = "i" if pattern.flags & re.IGNORECASE else ""
            parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


def detector_matches(detector: Detector, line: str) -> Iterator[str]:
    """Each secret found on the line. detect-secrets' own analyze_string yields the first capture group,
    which for some patterns is only a prefix ("ghp" of a GitHub token); here a group counts as the secret
    only when it is secret-sized, otherwise the whole match does."""
    for pattern in _patterns(detector):
        for match in pattern.finditer(line):
            groups = [group for group in match.groups() if group]
            longest = max(groups, key=len) if groups else ""
            value = longest if len(longest) >= 8 else match.group(0)
            validator = getattr(detector.plugin, "is_formally_valid", None)  # the JWT plugin decodes tokens
            if validator is None or validator(value):
                yield value


@cache
def keyword_words() -> re.Pattern[str]:
    """The keyword plugin's own names (password, secret, api_key ...): lines without one skip it."""
    from detect_secrets.plugins import keyword

    return re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)


@cache
def keyword_plugin() -> KeywordDetector:
    from detect_secrets.plugins.keyword import KeywordDetector

    return KeywordDetector()


def keyword_regexes(language: str | None) -> dict[re.Pattern[str], int]:
    """The keyword plugin's regexes for a file of `language` (quoted values only when it is unknown)."""
    from detect_secrets.plugins import keyword

    table = {
        "python": keyword.FileType.PYTHON, "javascript": keyword.FileType.JAVASCRIPT,
        "typescript": keyword.FileType.JAVASCRIPT, "tsx": keyword.FileType.JAVASCRIPT,
        "go": keyword.FileType.GO, "java": keyword.FileType.JAVA, "yaml": keyword.FileType.YAML,
        "toml": keyword.FileType.TOML, "ini": keyword.FileType.INI, "dotenv": keyword.FileType.CONFIG,
        "systemd": keyword.FileType.CONFIG,
    }
    filetype = table.get(language or "")
    if filetype is None:
        return keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
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


def looks_secret(value: str) -> bool:
    """For keyword matches: long enough, no spaces, and mixing character classes like a real secret."""
    if len(value) < 8 or any(ch.isspace() for ch in value):
        return False
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value), any(not c.isalnum() for c in value)))
    return classes >= 2 and not re.fullmatch(r"[A-Za-z]+(?:[-_.][A-Za-z]+)*", value)


def is_keyword_false_positive(value: str, line: str) -> bool:
    """detect-secrets' own filters for a keyword match: an id string, or a line reading another value."""
    from detect_secrets.filters import heuristic

    return bool(heuristic.is_likely_id_string(value, line) or heuristic.is_indirect_reference(line))


_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")


def has_key_material(line: str, following: Sequence[str]) -> bool:
    """A BEGIN ... PRIVATE KEY marker followed by real base64 (on its line or the `following` lines),
    not a format description in docs."""
    after_marker = line.split("PRIVATE KEY", 1)[-1]
    if _KEY_BODY.search(after_marker.replace("\\n", "\n")):
        return True
    for next_line in following:
        body = next_line.strip().strip("'\",")
        if body.startswith(("Proc-Type:", "Comment:", "Encryption:")) or _KEY_BODY.fullmatch(body):
            return True
    return False
