"""Redaction: detect-secrets' detectors, stable placeholders, restoring replies, files never sent,
and the proof that no planted secret reaches the (fake) model server."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surgeon.config import load_config
from surgeon.diff import extract_diff
from surgeon.model import Redactor, find_secrets, make_provider, never_send
from surgeon.validate import check_patch
from surgeon.validate.secrets import check_changes
from tests.fakes.server import Reply
from tests.helpers import EXAMPLE, git, make_repo

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
DB_PASSWORD = "s3cr3tP4ssw0rd"
GITHUB_TOKEN = "ghp_R8yLqk2Nd7ZfW4mXc9TbVh3JpQa6Se1Ug5Ko"
STRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
CONFIG_PASSWORD = "hunter2hunter2"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
       "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U")
PEM_BODY = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "LxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo",
]
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_BODY) + "\n-----END RSA PRIVATE KEY-----"
ENV_VALUE = "prod-env-value-Zx81Qw"

SETTINGS_PY = f'''"""Settings for the ingest service."""
import os

AWS_ACCESS_KEY_ID = "{AWS_KEY}"
aws_secret_access_key = "{AWS_SECRET}"
DATABASE_URL = "postgres://ingest:{DB_PASSWORD}@db.internal:5432/events"
GITHUB_TOKEN = "{GITHUB_TOKEN}"
STRIPE = "{STRIPE_KEY}"
SESSION = "{JWT}"
TIMEOUT_SECONDS = 30


def database_url() -> str:
    return os.environ.get("DATABASE_URL", DATABASE_URL)
'''
CONFIG_YAML = f"""service:
  name: ingest
  password: {CONFIG_PASSWORD}
  port: 8080
"""
SIGNING_PY = f'''SIGNING_KEY = """{PEM}"""
'''
PLANTED = [AWS_KEY, AWS_SECRET, DB_PASSWORD, GITHUB_TOKEN, STRIPE_KEY, CONFIG_PASSWORD, JWT, *PEM_BODY]


def values(text: str, path: str | None = None) -> set[str]:
    return {s.value for s in find_secrets(text, path)}


def test_detectors_find_each_kind_of_secret():
    found = values(SETTINGS_PY, "ingest/settings.py")
    assert {AWS_KEY, AWS_SECRET, DB_PASSWORD, GITHUB_TOKEN, STRIPE_KEY, JWT} <= found
    assert values(CONFIG_YAML, "config.yaml") == {CONFIG_PASSWORD}
    assert values(CONFIG_YAML) == {CONFIG_PASSWORD}  # no path: `key: value` is still read
    assert values("export API_KEY=abcdEFGH1234ijklMNOPqrst\n") == {"abcdEFGH1234ijklMNOPqrst"}
    kinds = {s.value: s.kind for s in find_secrets(SETTINGS_PY)}
    assert kinds[AWS_KEY] == "AWS Access Key" and kinds[DB_PASSWORD] == "Basic Auth Credentials"


def test_multi_line_private_keys_are_replaced_whole():
    [secret] = find_secrets(SIGNING_PY)
    assert secret.value == PEM and secret.kind == "Private Key" and secret.line == 1
    escaped = '{"key": "' + PEM.replace("\n", "\\n") + '"}'
    assert values(escaped) == {PEM.replace("\n", "\\n")}
    cut_off = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(PEM_BODY[:2]) + "\n"
    assert values(cut_off) == {cut_off.rstrip()}
    # the body of a key whose header is outside the text shown
    assert values("\n".join(PEM_BODY[1:]) + "\nport = 80\n") == set(PEM_BODY[1:])


def test_ordinary_code_and_config_are_left_alone():
    code = '''def check(password: str) -> bool:
    secret_key = settings.secret_key
    token = request.headers["x-token"]
    password = os.environ["DB_PASSWORD"]
    api_key: "${API_KEY}"
    user_id = "a8f5f167f44f4964e6c998dee827110c"
    password = "true"
    secret: test
listen 443 ssl;
allow 203.0.113.4;
'''
    assert values(code) == set()
    found = {}
    for path in sorted(p for p in EXAMPLE.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        if hits := values(path.read_text(encoding="utf-8", errors="replace"), path.name):
            found[path.relative_to(EXAMPLE).as_posix()] = hits
    # the only hit in the example stack is a test that posts a password field on purpose
    assert found == {"tests/test_app.py": {"hunter2"}}


def test_placeholders_are_stable_in_order_and_restored():
    redactor = Redactor()
    first = redactor.redact(SETTINGS_PY, "ingest/settings.py")
    for secret in (AWS_KEY, AWS_SECRET, DB_PASSWORD, GITHUB_TOKEN, STRIPE_KEY, JWT):
        assert secret not in first
    assert 'AWS_ACCESS_KEY_ID = "<<SECRET_1>>"' in first
    assert "postgres://ingest:<<SECRET_3>>@db.internal" in first
    assert redactor.restore(first) == SETTINGS_PY
    # a later text gets the same placeholders, even where the value has no telltale context
    later = redactor.redact(f"the old key was {AWS_KEY}.")
    assert later == "the old key was <<SECRET_1>>."
    assert redactor.redact(first) == first  # idempotent
    assert redactor.count == 6 and redactor.placeholders["<<SECRET_1>>"] == "AWS Access Key"
    # a placeholder this redactor did not make stays as it is
    assert redactor.restore("x = <<SECRET_99>>") == "x = <<SECRET_99>>"


def test_a_placeholder_already_in_the_text_is_not_reused():
    text = f'doc = "write <<SECRET_1>> in templates"\npassword = "{CONFIG_PASSWORD}"\n'
    redactor = Redactor()
    redacted = redactor.redact(text)
    assert CONFIG_PASSWORD not in redacted and "<<SECRET_2>>" in redacted
    assert redactor.restore(redacted) == text


secret_like = st.sampled_from(PLANTED[:7])
filler = st.text(alphabet=string.ascii_letters + string.digits + " =:\"'\n#._-/", max_size=60)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(filler, secret_like), max_size=5), filler)
def test_restore_inverts_redact(pieces, tail):
    text = "".join(f'{before}\npassword = "{secret}"\n' for before, secret in pieces) + tail
    redactor = Redactor()
    redacted = redactor.redact(text)
    assert redactor.restore(redacted) == text
    for _before, secret in pieces:
        assert secret not in redacted


def test_never_send_secret_files_and_surgeonignore(tmp_path):
    for path in (".env", "deploy/.env.production", "certs/server.pem", "keys/tls.key", "id_rsa", "home/.ssh/config",
                 "id_ed25519", "bundle.p12", ".aws/credentials", ".npmrc"):
        assert never_send(path, tmp_path), path
    for path in (".env.example", "id_rsa.pub", "ingest/settings.py", "README.md", "deploy/nginx/site.conf"):
        assert not never_send(path, tmp_path), path
    (tmp_path / ".surgeonignore").write_text("# private\ninternal/\n*.secret.yaml\n!public.secret.yaml\n!.env\n",
                                             encoding="utf-8")
    assert never_send("internal/notes.md", tmp_path) and never_send("a/b/db.secret.yaml", tmp_path)
    assert not never_send("public.secret.yaml", tmp_path)
    assert never_send(".env", tmp_path)  # the built-in list cannot be negated
    assert never_send(str(tmp_path / "internal" / "x.py"), tmp_path)  # absolute paths inside the repo
    assert never_send("/etc/passwd", tmp_path)  # outside the repository


def planted_repo(root: Path) -> Path:
    return make_repo(root, {
        "ingest/settings.py": SETTINGS_PY,
        "deploy/config.yaml": CONFIG_YAML,
        "ingest/signing.py": SIGNING_PY,
        ".env": f"API_TOKEN={ENV_VALUE}\n",
        "deploy/tls/server.pem": PEM + "\n",
        "README.md": "The ingest service.\n",
    })


@pytest.mark.parametrize("spec", ["anthropic:claude-sonnet-5-5", "openai:gpt-6-sol"])
def test_no_secret_byte_reaches_the_model_and_the_reply_is_restored(fake_model, tmp_path, spec):
    repo = planted_repo(tmp_path / "repo")
    redactor = Redactor()
    shown, withheld = [], []
    for path in git(repo, "ls-files").split():
        if never_send(path, repo):
            withheld.append(path)
            continue
        text = (repo / path).read_text(encoding="utf-8")
        shown.append(f"### {path}\n{redactor.redact(text, path)}")
    assert sorted(withheld) == [".env", "deploy/tls/server.pem"]

    settings_lines = next(b for b in shown if b.startswith("### ingest/settings.py")).splitlines()[1:]
    at = next(i for i, line in enumerate(settings_lines) if line.startswith("DATABASE_URL"))
    before, old_line, after = settings_lines[at - 1:at + 2]
    assert "<<SECRET_" in before and "<<SECRET_" in old_line and "<<SECRET_" in after
    new_line = old_line.replace("db.internal:5432", "db-replica.internal:5432")
    reply = (
        "```diff\n--- a/ingest/settings.py\n+++ b/ingest/settings.py\n@@ -5,3 +5,3 @@\n"
        f" {before}\n-{old_line}\n+{new_line}\n {after}\n```\n"
    )
    fake_model.script([Reply(reply, usage={"input_tokens": 900, "output_tokens": 120})])
    provider = make_provider(spec, load_config(repo, env={}))
    completion = provider.complete(
        ["Reply with one unified diff.", "\n\n".join(shown)],
        [{"role": "user", "content": redactor.redact(f"point DATABASE_URL ({DB_PASSWORD}) at the replica")}],
        task="edit",
    )

    sent = fake_model.all_text()
    for secret in [*PLANTED, ENV_VALUE, PEM]:
        assert secret not in sent
        assert secret[4:16] not in sent  # not even a recognisable piece of it
    assert "<<SECRET_1>>" in sent and "ingest/settings.py" in sent

    restored = redactor.restore(completion.text)
    assert f"postgres://ingest:{DB_PASSWORD}@db-replica.internal:5432/events" in restored
    assert "<<SECRET_" not in restored
    result = check_patch(extract_diff(restored), lambda p: (repo / p).read_bytes() if (repo / p).is_file() else None)
    assert result.ok, result.refusals
    [change] = result.changes
    new_text = change.new_content.decode()
    assert f'DATABASE_URL = "postgres://ingest:{DB_PASSWORD}@db-replica.internal:5432/events"' in new_text
    assert f'GITHUB_TOKEN = "{GITHUB_TOKEN}"' in new_text
    assert check_changes(result.changes) == []


def test_a_reply_that_keeps_an_unknown_placeholder_is_refused(tmp_path):
    repo = planted_repo(tmp_path / "repo")
    diff = ("--- a/ingest/settings.py\n+++ b/ingest/settings.py\n@@ -10,2 +10,3 @@\n"
            " TIMEOUT_SECONDS = 30\n+API_SECRET = \"<<SECRET_12>>\"\n \n")
    result = check_patch(diff, lambda p: (repo / p).read_bytes())
    assert result.ok, result.refusals
    [refusal] = check_changes(result.changes)
    assert refusal.path == "ingest/settings.py" and refusal.line == 11  # the added line
    assert "placeholder <<SECRET_12>>" in str(refusal)


def test_a_word_that_is_also_a_secret_value_stays_where_it_names_something():
    # flask's own test fixture: SECRET_KEY = "config". Hiding every "config" broke the paths the
    # model saw (src/flask/<<SECRET_1>>.py) and every attribute of that name.
    redactor = Redactor()
    text = ('SECRET_KEY = "config"\n'
            'app.config["DEBUG"] = True\n'
            "src/flask/config.py:12: from .config import Config\n"
            "    return config(app)\n"
            "password = config\n"
            "see the key, config. Or 'config'\n"
            "DB = postgres://user:config@db\n")
    out = redactor.redact(text)
    assert 'SECRET_KEY = "<<SECRET_1>>"' in out
    assert "app.config[" in out and "src/flask/config.py:12: from .config import" in out and "config(app)" in out
    assert "password = <<SECRET_1>>" in out and "key, <<SECRET_1>>. Or '<<SECRET_1>>'" in out
    assert "user:<<SECRET_1>>@db" in out
    assert redactor.restore(out) == text


def test_values_that_are_not_plain_words_are_hidden_in_every_position():
    token = "ghp_" + "x7Kq9mZ2vB4nR8tL1wP5yC3hJ6dF0sA9eG2u"
    redactor = Redactor()
    text = f'GITHUB_TOKEN = "{token}"\nurl = "https://h/{token}/more"\nx.{token}\n{token}.py\n'
    out = redactor.redact(text)
    assert token not in out and all("<<SECRET_" in line for line in out.splitlines())
