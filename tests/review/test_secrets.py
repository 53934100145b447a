"""secrets check: provider keys through detect-secrets' plugins plus newer formats; placeholders quiet."""

import pytest

from surgeon.review.checks import secrets
from surgeon.review.engine import run_checks
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

S = ReviewSettings()
# Split so this file itself holds no scannable key.
AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"
GITHUB = "ghp_" + "sMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8"
STRIPE = "sk_live_" + "rESQedUStPKR0CsTy4Qwb8Dw"
SLACK_HOOK = "https://hooks.slack.com/services/" + "T04H7QK2P/B05N8RM3X/q8Wz3Lk9Vn2Rt6Yp1Hs4Jd7F"
OPENAI = "sk-proj-" + "kNhFdnXsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1L"
ANTHROPIC = "sk-ant-api03-" + "lqsajAIxNKu8iS2G8NPRVdD53X83RZJzzzzgEOzdmenCkhvMdgaKjIg8xNbe3nNyjOq9wMxEhh2FDEEtfjgVvVqE1SkHbn8"
GOOGLE = "AIza" + "8HxjSI6bWHtP3fS2qHx6kwXoIIXGvOoNZYW"
KEY_BODY = "qtc4xatws8phP9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr7CmY+uCu3ZR1zTOlUc"
BEGIN = "-----BEGIN RSA " + "PRIVATE KEY-----"


def rules(path, text, settings=S):
    return [(f.line, f.rule) for f in secrets.check(SourceFile(path, text), settings)]


@pytest.mark.parametrize(("path", "line", "rule"), [
    ("app/settings.py", f'AWS_ACCESS_KEY_ID = "{AWS_ID}"', "secret.aws"),
    ("deploy.sh", f"export GITHUB_TOKEN={GITHUB}", "secret.github"),
    ("web/pay.js", f'const key = "{STRIPE}";', "secret.stripe"),
    ("ci.yml", f"webhook: {SLACK_HOOK}", "secret.slack"),
    ("llm.py", f'KEY = "{OPENAI}"', "secret.openai"),
    ("llm.py", f'KEY = "{ANTHROPIC}"', "secret.anthropic"),
    ("web/fb.js", f'const cfg = {{ apiKey: "{GOOGLE}" }};', "secret.google"),
    ("compose.yml", "DATABASE_URL: postgres://shop:S3cr3tPa55w0rdX@db:5432/shop", "secret.url-password"),
    ("app/mail.py", 'SMTP_PASSWORD = "pZ4!rT9#mQ2x-Lw7"', "secret.password"),
    ("config.toml", 'password = "Tr0ub4dor&3x"', "secret.password"),
    ("main.go", 'var dsn = "postgres://payments:Pq9$wLm2Rt@db.internal:5432/payments"', "secret.url-password"),
])
def test_provider_keys_are_found(path, line, rule):
    assert rules(path, "x = 1\n" + line + "\n") == [(2, rule)]


def test_private_key_block_needs_key_material():
    assert rules("deploy/key", f"{BEGIN}\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----\n") == [(1, "secret.private-key")]
    # A sentence in a document that names the format is not a key.
    assert rules("notes.txt", f"A key file starts with `{BEGIN}` and ends with END.\n") == []
    # A key inside a JSON string with escaped newlines is.
    assert rules("creds.json", f'{{"private_key": "{BEGIN}\\n{KEY_BODY}\\n"}}\n') == [(1, "secret.private-key")]


@pytest.mark.parametrize("line", [
    'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"',  # AWS's documentation example
    'token = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
    'STRIPE = "sk_live_000000000000000000000000"',
    'url = "postgres://user:password@localhost/db"',
    'password = os.environ["DB_PASSWORD"]',
    'password = "${DB_PASSWORD}"',
    'DATABASE_URL = "postgres://app:$DB_PASSWORD@db/app"',
    'api_key = "<your-api-key>"',
    'password_field = "password"',
    'token_type = "bearer"',
    'request_id = "3f2a9c1e-7b4d-4e8a-9c2f-1a6b5d8e0f3c"',
    'secret_name = "prod-db"',
    'help = "Enter your password here"',
])
def test_placeholders_and_lookalikes_are_quiet(line):
    assert rules("app/settings.py", line + "\n") == []


def test_keyword_passwords_in_tests_are_fixtures_but_provider_keys_are_not():
    text = f'password = "hunter2Hunter2"\nKEY = "{AWS_ID}"\n'
    assert rules("tests/test_login.py", text) == [(2, "secret.aws")]


def test_only_judged_lines_report():
    text = f'OLD = "{AWS_ID}"\nNEW = "{STRIPE}"\n'
    found = secrets.check(SourceFile("a.py", text, frozenset({2})), S)
    assert [(f.line, f.rule) for f in found] == [(2, "secret.stripe")]


def test_fingerprint_hashes_the_value_not_the_line_number():
    first = secrets.check(SourceFile("a.py", f'KEY = "{AWS_ID}"\n'), S)[0]
    moved = secrets.check(SourceFile("a.py", f'\n\nKEY = "{AWS_ID}"\n'), S)[0]
    assert first.fingerprint == moved.fingerprint and moved.line == 3
    assert AWS_ID not in first.fingerprint and AWS_ID not in first.message


@pytest.mark.parametrize("comment", ["# surgeon: allow secret", "// surgeon: allow secret (test double)",
                                     "/* surgeon: allow secret.aws */", "-- surgeon: allow secret"])
def test_pragma_in_any_comment_syntax(comment):
    file = SourceFile("a.py", f'KEY = "{AWS_ID}"  {comment}\n')
    findings, suppressed = run_checks([file], S)
    assert findings == [] and suppressed == {"pragma": 1}


def test_pragma_on_the_line_above_and_for_other_rules_only():
    file = SourceFile("a.py", f'# surgeon: allow secret\nKEY = "{AWS_ID}"\nOTHER = "{STRIPE}"  # surgeon: allow origin\n')
    findings, _ = run_checks([file], S)
    assert [(f.line, f.rule) for f in findings] == [(3, "secret.stripe")]
