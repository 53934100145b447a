"""surgeon/secrets.py is the one detector set: redaction, the secrets validator and review all use it.
Every detector's sample is walked through all three: hidden before anything is sent, refused when a
model writes it, reported by review. The samples are random values built when the tests run, so this
file holds no scannable key."""

from __future__ import annotations

import base64
import json
import random
import string

import pytest

from surgeon import secrets
from surgeon.diff import FileChange
from surgeon.model import redact
from surgeon.review.checks import secrets as review_check
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings
from surgeon.validate import secrets as validator

_random = random.Random(15)
LOWER, UPPER, DIGITS = string.ascii_lowercase, string.ascii_uppercase, string.digits
ALNUM = LOWER + UPPER + DIGITS


def rnd(n: int, chars: str = ALNUM) -> str:
    return "".join(_random.choice(chars) for _ in range(n))


def b64url(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


JWT = f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url({'sub': '42', 'name': 'shop'})}.{rnd(43)}"
PEM_BODY = "\n".join(rnd(64, ALNUM + "+/") for _ in range(3))

# detector name -> (a line, or lines, a model could write; the secret in it)
SAMPLES: dict[str, tuple[str, str]] = {}


def sample(name: str, template: str, secret: str) -> None:
    SAMPLES[name] = (template.format(secret), secret)


sample("AWSKeyDetector", 'AWS_ACCESS_KEY_ID = "{}"', "AKIA" + rnd(16, UPPER + DIGITS))
sample("GitHubTokenDetector", 'GH = "{}"', "ghp_" + rnd(36))
sample("GitLabTokenDetector", 'GITLAB = "{}"', "glpat-" + rnd(20))
sample("SlackDetector", 'SLACK = "{}"', f"xoxb-{rnd(11, DIGITS)}-{rnd(12, DIGITS)}-{rnd(24, LOWER + DIGITS)}")
sample("StripeDetector", 'STRIPE = "{}"', "sk_live_" + rnd(24))
sample("OpenAIDetector", 'OPENAI = "{}"', f"sk-{rnd(20)}T3BlbkFJ{rnd(20)}")
sample("PrivateKeyDetector", "{}\n", f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----")
sample("BasicAuthDetector", 'DSN = "postgres://app:{}@db.internal/app"', rnd(14))
sample("JwtTokenDetector", 'SESSION = "{}"', JWT)
sample("ArtifactoryDetector", 'ARTIFACTORY = "{}"', "AKC" + rnd(20))
sample("AzureStorageKeyDetector", 'CONN = "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey={}"',
       rnd(86, ALNUM + "+/") + "==")
sample("DiscordBotTokenDetector", 'DISCORD = "{}"', f"M{rnd(23)}.{rnd(6)}.{rnd(27)}")
sample("MailchimpDetector", 'MAILCHIMP = "{}"', rnd(32, LOWER + DIGITS) + "-us6")
sample("NpmDetector", "//registry.npmjs.org/:_authToken={}", "npm_" + rnd(36))
sample("PypiTokenDetector", 'PYPI = "{}"', "pypi-AgEIcHlwaS5vcmc" + rnd(70))
sample("SendGridDetector", 'SENDGRID = "{}"', f"SG.{rnd(22)}.{rnd(43)}")
sample("SquareOAuthDetector", 'SQUARE = "{}"', "sq0csp-" + rnd(43))
sample("TelegramBotTokenDetector", 'TELEGRAM = "{}"', f"{rnd(9, DIGITS)}:{rnd(35)}")
sample("TwilioKeyDetector", 'TWILIO = "{}"', "AC" + rnd(32, LOWER + DIGITS))
sample("IbmCloudIamDetector", 'ibm_cloud_iam_key = "{}"', rnd(44))
sample("IbmCosHmacDetector", 'ibm_cos_hmac_secret_access_key = "{}"', rnd(48, "0123456789abcdef"))
sample("SoftlayerDetector", 'softlayer_api_key = "{}"', rnd(64, LOWER + DIGITS))
sample("CloudantDetector", 'cloudant_password = "{}"', rnd(64, "0123456789abcdef"))
sample("Anthropic API key", "my key is {}", f"sk-ant-api03-{rnd(93)}-AA")
sample("OpenAI API key", 'OPENAI = "{}"', "sk-proj-" + rnd(48))
# a Google API key inside a JS URL: review flagged it, edit sent it unredacted (issue 15, item 8)
sample("Google API key", 'const src = "https://maps.googleapis.com/maps/api/js?key={}&callback=init";',
       "AIza" + rnd(35))
sample("GitHub fine-grained token", 'GH = "{}"', "github_pat_" + rnd(82))
sample("password in a URL", 'DB = "postgres://app:{}@db.internal/app"', "Pq9$wLm!x2")

# What no format names: the keyword plugin, and a high-entropy literal assigned to a credential.
PASSWORD, TOKEN = "pZ4!rT9#mQ2x-Lw7", rnd(40)
SHAPES: dict[str, tuple[str, str]] = {
    "secret.password": (f'SMTP_PASSWORD = "{PASSWORD}"', PASSWORD),
    "secret.high-entropy": (f'API_TOKEN = "{TOKEN}"', TOKEN),
}
GITHUB_VALUE, AWS_VALUE = SAMPLES["GitHubTokenDetector"][1], SAMPLES["AWSKeyDetector"][1]
# Written so that no single literal holds the key (issue 15, item 11).
DISGUISED: dict[str, tuple[str, str, str]] = {
    "two literals side by side": ("secret.aws", f'KEY = "{AWS_VALUE[:4]}" "{AWS_VALUE[4:]}"', AWS_VALUE[4:]),
    "literals joined by +": ("secret.github", f"token = '{GITHUB_VALUE[:4]}' + '{GITHUB_VALUE[4:]}'",
                             GITHUB_VALUE[4:]),
    "three literals": ("secret.github",
                       f'T = "{GITHUB_VALUE[:10]}" + "{GITHUB_VALUE[10:25]}" + "{GITHUB_VALUE[25:]}"',
                       GITHUB_VALUE[10:25]),
    "base64-encoded": ("secret.aws", 'BLOB = "{}"'.format(s := base64.b64encode(
        f"aws_access_key_id={AWS_VALUE}".encode()).decode()), s),
    "a real key with 'fake' inside": ("secret.github", 'GH = "{}"'.format(s := "ghp_aB3fakeQ9" + rnd(27)), s),
    "a real key with 'example' inside": ("secret.stripe", 'S = "{}"'.format(s := "sk_live_x7Example" + rnd(15)), s),
}


def reviewed(text: str, path: str = "app/settings.py") -> set[str]:
    return {f.rule for f in review_check.check(SourceFile(path, text), ReviewSettings())}


def refused(text: str, path: str = "app/settings.py") -> bool:
    old = "import os\n"
    change = FileChange(path, None, old.encode(), (old + text + "\n").encode(), None, None, 1, 0)
    return any("adds a new secret" in r.reason for r in validator.check_changes([change]))


def hidden(text: str, secret: str) -> bool:
    redacted = redact.Redactor().redact(f"please look at this:\n{text}\n")
    return secret not in redacted and bool(secrets.PLACEHOLDER_RE.search(redacted))


def test_redaction_the_validator_and_review_use_the_one_module():
    assert redact.find_secrets is secrets.find_secrets and validator.find_secrets is secrets.find_secrets
    assert redact.PLACEHOLDER_RE is secrets.PLACEHOLDER_RE
    assert review_check.line_hits is secrets.line_hits


def test_every_detector_has_a_sample_and_redaction_runs_the_rest_of_detect_secrets():
    assert set(SAMPLES) == {d.name for d in secrets.detectors()}
    named = {d.name for d in secrets.detectors() if d.plugin is not None}
    rest = {type(plugin).__name__ for plugin in secrets.redaction_plugins()} - named
    assert rest == {"Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector"}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_detectors_sample_is_hidden_refused_and_reported(name):
    detector = next(d for d in secrets.detectors() if d.name == name)
    text, secret = SAMPLES[name]
    assert any(detector_matches for detector_matches in secrets.detector_matches(detector, text.split("\n")[0]))
    assert hidden(text, secret), name
    assert refused(text), name
    assert detector.rule in reviewed(text), name


@pytest.mark.parametrize("rule", sorted(SHAPES))
def test_keyword_and_entropy_verdicts_are_hidden_refused_and_reported(rule):
    text, secret = SHAPES[rule]
    assert hidden(text, secret) and refused(text)
    assert reviewed(text) == {rule}
    assert reviewed(text, "tests/test_settings.py") == set()  # fixtures in tests hold such values by design


@pytest.mark.parametrize("how", sorted(DISGUISED))
def test_disguised_secrets_are_hidden_refused_and_reported(how):
    rule, text, piece = DISGUISED[how]
    assert hidden(text, piece), how
    assert refused(text), how
    assert rule in reviewed(text), how


@pytest.mark.parametrize("line", [
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',  # AWS's documentation example
    'STRIPE = "sk_live_fake_key_for_the_demo_00"',
    'TOKEN = "ghp_exampleTokenForTheDocsOnly0000000000"',
    'api_key = "yourApiKeyHereYourApiKeyHere"',
    'GREETING = "hello" + " world"',
    'sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"',
    'API_TOKEN_CHECKSUM = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"',
    'url = "https://user:pass@proxy.local:8080"',
])
def test_lookalikes_stay_quiet(line):
    assert reviewed(line + "\n") == set()
