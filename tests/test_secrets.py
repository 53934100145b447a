"""surgeon/secrets.py is the one detector set: redaction, the secrets validator and review all use it.
Its two configurations (REDACTION, REVIEW) keep the behaviour each caller had; the differences known
today are pinned below as strict xfails, so that unifying them later shows up here."""

from __future__ import annotations

import pytest

from surgeon import secrets
from surgeon.model import redact
from surgeon.review.checks import secrets as review_check
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings
from surgeon.validate import secrets as validator

ANTHROPIC = "sk-ant-api03-" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9fG1hJ3kL5mN7pQ9rS1tU3vW5xY7zA9bC1dE3fG5hJ7kL9m-AA"
HEX = "8f14e45fceea167a5a36dedd4bea2543a1b2c3d4e5f60718"


def redacted(text: str, path: str = "app/settings.py") -> set[str]:
    return {found.value for found in secrets.find_secrets(text, path)}


def reviewed(text: str, path: str = "app/settings.py") -> set[str]:
    lines = text.split("\n")
    return {lines[f.line - 1][f.span[0]:f.span[1]] for f in review_check.check(SourceFile(path, text), ReviewSettings())
            if f.span is not None}


def test_redaction_the_validator_and_review_use_the_one_module():
    assert redact.find_secrets is secrets.find_secrets and validator.find_secrets is secrets.find_secrets
    assert redact.PLACEHOLDER_RE is secrets.PLACEHOLDER_RE
    assert review_check.review_detectors is secrets.review_detectors


def test_review_plugins_are_redaction_plugins_but_the_high_entropy_ones():
    redaction = {type(plugin).__name__ for plugin in secrets.redaction_plugins()}
    review = {type(d.plugin).__name__ for d in secrets.review_detectors() if d.plugin is not None}
    assert review | {"KeywordDetector"} <= redaction  # review runs the keyword plugin on its own
    assert redaction - review - {"KeywordDetector"} == {"Base64HighEntropyString", "HexHighEntropyString"}


def test_both_find_the_common_formats():
    line = 'STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\nAWS = "AKIAQWERTYUIOPASDFGH"\n'
    assert redacted(line) == reviewed(line) == {"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "AKIAQWERTYUIOPASDFGH"}


def test_redaction_hides_more_than_review_reports():
    # a high-entropy string, a short keyword value and a keyword value in a test file: hidden, not reported
    for text, path in ((f'digest = "{HEX}"\n', "app/settings.py"), ('password = "hunter2"\n', "app/settings.py"),
                       ('password = "s3cr3tP4ssw0rd"\n', "tests/test_login.py")):
        assert redacted(text, path) and not reviewed(text, path)


@pytest.mark.xfail(strict=True, reason="known difference: REDACTION lacks REVIEW's extra patterns")
@pytest.mark.parametrize("text", [
    f"my key is {ANTHROPIC}\n",
    "use AIzaSyD3kL5mN7pQ9rS1tU3vW5xY7zA9bC1dE3f here\n",
    'DB = "postgres://app:Pq9$wLm!x2@db.internal/app"\n',
])
def test_redaction_hides_what_review_reports(text):
    assert reviewed(text) <= redacted(text)
