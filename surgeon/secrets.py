"""The one detector set: redaction (model/redact.py), the secrets validator (validate/secrets.py) and
review (review/checks/secrets.py) all find secrets here. Nothing here writes, sends or reports.

`line_hits` is what review reports on a line: detect-secrets' format plugins (DETECTOR_PLUGINS) and
patterns for formats it does not know yet (EXTRA_PATTERNS), each under a rule id; the same detectors
on string literals written next to each other ("AKIA" "…", 'ghp_' + '…') joined into one, and on
base64 text decoded; the keyword plugin (password = "…"); and detect-secrets' high-entropy plugins for
a literal on a line that names a credential. Values that are plainly placeholders never count.

`find_secrets` is what never leaves the machine and what a diff may not add: every `line_hits` value
(with the keyword regexes of every file type), plus every other detect-secrets plugin run line by line
with its default heuristic filters (high-entropy strings anywhere, keyword values of any length), a PEM
private-key block spanning lines, and a line that is nothing but a long high-entropy base64 run (a
key body cut off from its header). So whatever review reports is hidden from a model and refused in a
diff, by construction; redaction hides more than review reports.
"""

from __future__ import annotations

import base64
import binascii
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
    from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
    from detect_secrets.plugins.keyword import KeywordDetector

# --- placeholders ---------------------------------------------------------------------------------------
# What redaction writes instead of a value. Detection skips them, so a redacted text stays redacted.

PLACEHOLDER_RE = re.compile(r"<<SECRET_(\d+)>>")
PLACEHOLDER_PREFIX_RE = re.compile(r"<<\s*SECRET_\d+")


# --- the detectors --------------------------------------------------------------------------------------

# detect-secrets plugin class -> the rule id it reports under.
DETECTOR_PLUGINS: dict[str, str] = {
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
EXTRA_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("secret.anthropic", re.compile(r"\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_\-]{80,}"), "Anthropic API key"),
    ("secret.openai", re.compile(r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,}"), "OpenAI API key"),
    ("secret.google", re.compile(r"AIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])"), "Google API key"),
    ("secret.github", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}"), "GitHub fine-grained token"),
    # detect-secrets' pattern stops at "$", "!" and other sub-delimiters, which raw passwords often hold.
    ("secret.url-password", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"`]+:([^\s@/'\"`]{4,})@[\w.-]"),
     "password in a URL"),
)

KEYWORD_RULE, ENTROPY_RULE = "secret.password", "secret.high-entropy"
# Rules whose evidence is a shape, not a format: test files hold such fixtures by the hundred.
WEAK_RULES = frozenset({KEYWORD_RULE, ENTROPY_RULE, "secret.url-password"})
SKIPPED_PLUGINS = {"IPPublicDetector"}  # public IP addresses are not secrets here


@dataclass(frozen=True)
class Detector:
    name: str  # the plugin's class name, or the extra pattern's words
    rule: str
    kind: str  # words for the message: "AWS Access Key"
    patterns: tuple[re.Pattern[str], ...]
    plugin: object | None  # the detect-secrets plugin (None for an extra pattern)


@cache
def detectors() -> tuple[Detector, ...]:
    """DETECTOR_PLUGINS, then EXTRA_PATTERNS, in the order they are listed."""
    found = []
    for dotted, rule in DETECTOR_PLUGINS.items():
        module_name, class_name = dotted.split(".")
        plugin = getattr(importlib.import_module(f"detect_secrets.plugins.{module_name}"), class_name)()
        found.append(Detector(class_name, rule, str(plugin.secret_type), tuple(getattr(plugin, "denylist", ())),
                              plugin))
    for rule, pattern, kind in EXTRA_PATTERNS:
        found.append(Detector(kind, rule, kind, (pattern,), None))
    return tuple(found)


@cache
def prefilter() -> re.Pattern[str] | None:
    """All detector patterns in one alternation: one scan rules out the many lines that hold no secret.
    None when they cannot be combined (a back-reference, a global flag), and every detector runs."""
    parts = []
    for detector in detectors():
        for pattern in detector.patterns:
            if re.search(r"\\\d|\(\?P=|^\(\?[a-zA-Z]+\)", pattern.pattern):
                return None
            flags = "i" if pattern.flags & re.IGNORECASE else ""
            parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


def detector_matches(detector: Detector, line: str) -> Iterator[tuple[str, int]]:
    """(secret, column) for each one found on the line. detect-secrets' own analyze_string yields the
    first capture group, which for some patterns is only a prefix ("ghp" of a GitHub token): a group that
    opens the match counts only when it is secret-sized, else the whole match does."""
    for pattern in detector.patterns:
        for match in pattern.finditer(line):
            groups = [index for index in range(1, (pattern.groups or 0) + 1) if match.group(index)]
            longest = max(groups, key=lambda i: len(match.group(i))) if groups else 0
            if longest and (len(match.group(longest)) >= 8 or match.start(longest) > match.start()):
                value, column = match.group(longest), match.start(longest)
            else:
                value, column = match.group(0), match.start()
            validator = getattr(detector.plugin, "is_formally_valid", None)  # the JWT plugin decodes tokens
            if validator is None or validator(value):
                yield value, column


# --- values that only look like secrets -----------------------------------------------------------------

# Marks of a template or a mask anywhere in a value.
_PLACEHOLDER_MARKS = re.compile(r"xxxx|\*\*\*\*|<[^>]*>|\$\{|\$\(|\{\{|%\(|\.\.\.", re.IGNORECASE)
# Words that make a value a placeholder when they stand as words in it (fake_key, yourApiKey, my-example),
# never when they hide inside a random run (a real key may hold "fake" by chance).
_PLACEHOLDER_WORDS = frozenset({"example", "examples", "dummy", "fake", "placeholder", "changeme", "replaceme",
                                "redacted", "sample", "lorem", "your", "notasecret", "mock"})
# Whole values that are the name of what belongs there: user:password@host, PASSWORD=secret.
_NAME_WORDS = frozenset({"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "api_key",
                         "key", "user", "username", "changeit", "admin", "root", "none", "null"})
_DOC_EXAMPLE = re.compile(r"EXAMPLE(?:KEY)?$")  # AWS's documentation keys: AKIAIOSFODNN7EXAMPLE
_ENV_REFERENCE = re.compile(r"^\$[A-Z_][A-Z0-9_]*$")  # $DB_PASSWORD (case matters: "Pq9$wLm" is a password)
_SAME_CHAR_RUN = re.compile(r"(.)\1{7,}")  # "aaaaaaaa", "00000000"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
# A line (or a URL password) that reads its value from somewhere else.
INDIRECT_REFERENCE = re.compile(r"(getenv|environ|process\.env|os\.Getenv|ENV\[|secrets\.|vault|\bget_secret)",
                                re.I)
# Lines whose language has no reliable keyword form (prose, markup) skip the keyword plugin.
KEYWORD_LANGUAGES = frozenset({"python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp",
                               "bash", "yaml", "toml", "ini", "dotenv", "json", "dockerfile", "systemd"})


def _words(value: str) -> list[str]:
    words: list[str] = []
    for token in re.split(r"[^A-Za-z0-9]+", value):
        words.extend(part.lower() for part in _CAMEL.findall(token)) if token.isalpha() else words.append(
            token.lower())
    return words


def is_placeholder(value: str) -> bool:
    """True for values that only look like secrets: examples, templates, masks, sequences, UUIDs."""
    from detect_secrets.filters import heuristic

    stripped = value.strip("'\"` ")
    words = _words(stripped)
    return bool(
        len(stripped) < 4
        or stripped.lower() in _NAME_WORDS
        or _PLACEHOLDER_MARKS.search(stripped)
        or _PLACEHOLDER_WORDS.intersection(words)
        or _PLACEHOLDER_WORDS.intersection(a + b for a, b in zip(words, words[1:], strict=False))
        or _DOC_EXAMPLE.search(stripped)
        or _ENV_REFERENCE.match(stripped)
        or _SAME_CHAR_RUN.search(stripped)
        or _UUID.match(stripped)
        or PLACEHOLDER_RE.search(stripped)
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


# --- one line ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hit:
    rule: str
    kind: str
    value: str  # the secret as written on the line: the literals of a split one, the base64 text
    start: int  # columns [start, end) of `value` on the line
    end: int


_LITERAL = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
_JOINED = re.compile(rf"(?:{_LITERAL})(?:[ \t]*\+?[ \t]*(?:{_LITERAL}))+")
_ONE_LITERAL = re.compile(_LITERAL)
_BASE64_TOKEN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=_-])")
_CREDENTIAL_WORD = re.compile(r"token|secret|passw|api_?key|apikey|access_?key|auth|credential|bearer|signing",
                              re.IGNORECASE)
_HASH_WORD = re.compile(r"sha\d|md5|hash|digest|checksum|integrity|fingerprint|etag|uuid|guid|commit|revision|"
                        r"version|nonce|salt|public", re.IGNORECASE)
MAX_LINE = 4000  # minified bundles and data blobs: only their start is scanned


def _joined(line: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, text) of each run of two or more string literals written side by side or joined by +."""
    for run in _JOINED.finditer(line):
        yield run.start(), run.end(), "".join(m.group(0)[1:-1] for m in _ONE_LITERAL.finditer(run.group(0)))


def _decoded(token: str) -> str | None:
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    text = raw.decode("latin-1")
    return text if text.isprintable() and text.isascii() else None


def _format_hits(line: str, following: Sequence[str]) -> Iterator[Hit]:
    quick = prefilter()
    if quick is not None and not quick.search(line):
        return
    for detector in detectors():
        for value, column in detector_matches(detector, line):
            if is_placeholder(value):
                continue
            if detector.rule == "secret.url-password" and INDIRECT_REFERENCE.search(value):
                continue
            if detector.rule == "secret.private-key" and not has_key_material(line, following):
                continue
            value = _widen(value, line, column)
            yield Hit(detector.rule, detector.kind, value, column, column + len(value))


def _keyword_hits(line: str, language: str | None) -> Iterator[Hit]:
    from detect_secrets.filters import heuristic

    if not keyword_words().search(line) or INDIRECT_REFERENCE.search(line):
        return
    for regexes in keyword_tables(language):
        for value in keyword_plugin().analyze_string(line, denylist_regex_to_group=regexes):
            if not value or is_placeholder(value) or not looks_secret(value):
                continue
            if heuristic.is_likely_id_string(value, line) or heuristic.is_indirect_reference(line):
                continue
            start = max(line.find(value), 0)
            yield Hit(KEYWORD_RULE, "secret-sounding name assigned a literal value", value, start, start + len(value))


def _entropy_hits(line: str) -> Iterator[Hit]:
    """detect-secrets' high-entropy strings, where they fit: a quoted literal on a line that names a
    credential and no hash, checksum or version (those are random by design)."""
    if not _CREDENTIAL_WORD.search(line):
        return
    for plugin in entropy_plugins():
        for value in plugin.analyze_string(line):
            if len(value) < 20 or plugin.calculate_shannon_entropy(value) <= plugin.entropy_limit:
                continue
            around = line.replace(value, " ")
            if is_placeholder(value) or _HASH_WORD.search(around) or not _CREDENTIAL_WORD.search(around):
                continue
            start = line.find(value)
            yield Hit(ENTROPY_RULE, "high-entropy string assigned to a credential", value, start, start + len(value))


def line_hits(line: str, following: Sequence[str] = (), language: str | None = None, *,
              keywords: bool = True) -> list[Hit]:
    """The secrets on one line (review's verdict), at most one per stretch of the line. `following`: the
    next lines (a private key's body); `language`: the keyword regexes to use (None: every file type's);
    `keywords=False`: only formats, no keyword or entropy verdicts (tests, docs, lock files)."""
    line = line[:MAX_LINE]
    hits = list(_format_hits(line, following))
    for start, end, text in _joined(line):
        virtual = f'{line[:start]}"{text}"'
        inner = (start, start + len(text) + 2)
        found = [*_format_hits(virtual, following), *(_keyword_hits(virtual, language) if keywords else ())]
        hits += [Hit(h.rule, h.kind, line[start:end], start, end) for h in found
                 if inner[0] <= h.start and h.end <= inner[1]]
    for token in _BASE64_TOKEN.finditer(line):
        decoded = _decoded(token.group(0))
        if decoded:
            hits += [Hit(h.rule, f"{h.kind} (base64-encoded)", token.group(0), token.start(), token.end())
                     for h in _format_hits(decoded, ())]
    if keywords and not hits:
        hits += [*_keyword_hits(line, language), *_entropy_hits(line)]
    kept: list[Hit] = []
    for hit in hits:  # the first verdict on a stretch of the line wins
        if not any(hit.start < other.end and other.start < hit.end for other in kept):
            kept.append(hit)
    return kept


@cache
def keyword_words() -> re.Pattern[str]:
    """The keyword plugin's own names (password, secret, api_key ...): lines without one skip it."""
    from detect_secrets.plugins import keyword

    return re.compile("|".join(keyword.DENYLIST), re.IGNORECASE)


@cache
def keyword_plugin() -> KeywordDetector:
    from detect_secrets.plugins.keyword import KeywordDetector

    return KeywordDetector()


@cache
def entropy_plugins() -> tuple[HighEntropyStringsPlugin, ...]:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    return Base64HighEntropyString(), HexHighEntropyString()


def keyword_tables(language: str | None) -> list[dict[re.Pattern[str], int]]:
    """The keyword plugin's regexes for a file of `language`; None: those of every file type."""
    from detect_secrets.plugins import keyword

    table = {
        "python": keyword.FileType.PYTHON, "javascript": keyword.FileType.JAVASCRIPT,
        "typescript": keyword.FileType.JAVASCRIPT, "tsx": keyword.FileType.JAVASCRIPT,
        "go": keyword.FileType.GO, "java": keyword.FileType.JAVA, "yaml": keyword.FileType.YAML,
        "toml": keyword.FileType.TOML, "ini": keyword.FileType.INI, "dotenv": keyword.FileType.CONFIG,
        "systemd": keyword.FileType.CONFIG,
    }
    quoted = keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
    if language is None:
        return [quoted, *{id(t): t for t in keyword.REGEX_BY_FILETYPE.values()}.values()]
    filetype = table.get(language)
    return [quoted if filetype is None else keyword.REGEX_BY_FILETYPE.get(filetype, quoted)]


# --- redaction and the validator: find_secrets ----------------------------------------------------------

# Some detectors report only part of a token (a JWT without its signature): widened to the right.
_WIDEN_CHARS = "A-Za-z0-9_+/=.-"
_PEM_BLOCK = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----.*?-----END \1-----", re.S)
_PEM_OPEN = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:(?:\r?\n|\\n)[ \t]*[A-Za-z0-9+/=:,\- ]*)*")
_BASE64_LINE = re.compile(r"^\s*([A-Za-z0-9+/]{40,}={0,2})\s*$")
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


def _widen(value: str, line: str, start: int = -1) -> str:
    start = line.find(value) if start < 0 else start
    if start < 0:
        return value
    end = start + len(value)
    token = re.compile(f"[{_WIDEN_CHARS}]")
    while end < len(line) and token.match(line[end]) and token.match(line[end - 1]):
        end += 1
    return line[start:end].rstrip(".")


def _entropy_ok(value: str) -> bool:
    detector = entropy_plugins()[0]
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
    """Every secret value in `text`, in the order they first appear: what redaction hides and what a
    diff may not add. `path` (when the text is one file) lets the keyword plugin read it by its type."""
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
    lines = masked.splitlines()
    with _detect_lock:  # detect-secrets keeps global settings and caches
        for number, line in enumerate(lines):
            if not line.strip():
                continue
            for hit in line_hits(line, lines[number + 1:number + 4]):
                add(hit.value, hit.kind, max(0, text.find(hit.value)))
            base64_line = _BASE64_LINE.match(line)
            if base64_line and _entropy_ok(base64_line.group(1)):
                add(base64_line.group(1), "Base64 High Entropy String", text.find(base64_line.group(1)))
            else:
                for value, kind in _scan_line(line, filename):
                    add(value, kind, max(0, text.find(value)))
    return sorted(found.values(), key=lambda s: first[s.value])
