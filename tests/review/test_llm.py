"""--llm: the staged diff goes to the review model (fake server) with secrets redacted; its findings are
merged; its diffs are kept only when the diff engine validates them."""

import json

import pytest

from surgeon.errors import GitFailed
from surgeon.review.llm import change_text, parse_reply
from surgeon.review.scope import Scope, SourceFile
from tests.helpers import git, make_repo, run_surgeon

AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"
QUERY = 'def find(db, name):\n    return db.execute("SELECT * FROM users WHERE name = \'%s\'" % name)\n'


def staged(tmp_path):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    (repo / "app").mkdir()
    (repo / "app" / "users.py").write_text(QUERY)
    (repo / "app" / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{AWS_ID}"\n')
    git(repo, "add", "-A")
    return repo


GOOD_DIFF = (
    "--- a/app/users.py\n+++ b/app/users.py\n@@ -1,2 +1,2 @@\n def find(db, name):\n"
    "-    return db.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n"
    "+    return db.execute(\"SELECT * FROM users WHERE name = ?\", (name,))\n"
)
BAD_DIFF = "--- a/app/users.py\n+++ b/app/users.py\n@@ -1,1 +1,1 @@\n-def lookup(db):\n+def lookup(db, x):\n"


def reply(*objects):
    return "\n".join(json.dumps(item) for item in objects)


def test_model_findings_are_merged_and_secrets_never_sent(tmp_path, fake_model):
    repo = staged(tmp_path)
    fake_model.script([reply(
        {"file": "app/users.py", "line": 2, "severity": "high",
         "message": "SQL built with % formatting from the caller's input; use a parameter.", "diff": GOOD_DIFF},
        {"file": "app/users.py", "line": 1, "severity": "low", "message": "A second look.", "diff": BAD_DIFF},
        {"file": "nowhere.py", "line": 1, "severity": "high", "message": "invented"},
    )])
    result = run_surgeon("review", "--llm", "--json", cwd=repo, env=fake_model.env())
    assert result.code == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    by_line = {(f["path"], f["line"], f["rule"]): f for f in findings}
    sql = by_line[("app/users.py", 2, "llm.review")]
    assert sql["severity"] == "high" and "(review model)" in sql["message"]
    assert sql["diff"] is not None and '+    return db.execute("SELECT * FROM users WHERE name = ?", (name,))' in sql["diff"]
    assert by_line[("app/users.py", 1, "llm.review")]["diff"] is None  # refused by the diff engine
    assert ("app/settings.py", 1, "secret.aws") in by_line  # the mechanical findings are still there
    assert not any(f["path"] == "nowhere.py" for f in findings)
    assert "the model's diff was dropped" in result.stderr and "nowhere.py" in result.stderr
    (request,) = fake_model.requests
    sent = request.text()
    assert AWS_ID not in sent
    assert "SELECT * FROM users" in sent and "+++ b/app/users.py" in sent
    assert "Already reported by the mechanical checks" in sent and "secret.aws" in sent
    usage = (repo / ".git" / "surgeon" / "usage.jsonl").read_text().splitlines()
    assert len(usage) == 1 and json.loads(usage[0])["task"] == "review"


def test_no_model_configured_is_a_usage_error(tmp_path):
    repo = staged(tmp_path)
    result = run_surgeon("review", "--llm", cwd=repo)
    assert result.code == 2 and "no model configured" in result.stderr and "Traceback" not in result.stderr


def test_default_path_never_calls_the_model(tmp_path, fake_model):
    repo = staged(tmp_path)
    assert run_surgeon("review", cwd=repo, env=fake_model.env()).code == 1
    assert fake_model.requests == []


def test_a_diff_writing_a_placeholder_is_dropped(tmp_path, fake_model):
    repo = staged(tmp_path)
    placeholder_diff = ("--- a/app/users.py\n+++ b/app/users.py\n@@ -1,2 +1,3 @@\n def find(db, name):\n"
                        "+    key = \"<<SECRET_1>>\"\n"
                        "     return db.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n")
    fake_model.script([reply({"file": "app/users.py", "line": 2, "severity": "medium", "message": "m",
                              "diff": placeholder_diff})])
    result = run_surgeon("review", "--llm", "--json", cwd=repo, env=fake_model.env())
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "llm.review"]
    assert finding["diff"] is None and "dropped" in result.stderr


def test_parse_reply_reads_json_lines_among_prose():
    objects, broken = parse_reply('Here you go:\n```\n{"file": "a.py", "line": 1}\n{"file": broken\n```\n')
    assert objects == [{"file": "a.py", "line": 1}] and broken == 1


# Planted secrets, built at run time so this file holds none whole. Each is random enough that any
# 4-character piece of it turning up in what the model receives means the secret leaked.
ENV_PASSWORD = "Xy9k" + "Lm2Qr7vT4w"
ENV_TOKEN = "ghp_" + "9fQz2Lp7Xw4Rk8Tn3Vb6Hj1Mc5Gd0Ys8Ue3R"
PY_PASSWORD = "Pq7z" + "Wm3Rt8Kc5J"
PY_AWS = "AKIA" + "Q7ZR4TM2XW9PLK3B"
PY_KEY_BODY = "MIIEowIBAAKCAQEA" + "q8Zr3Vx7Lm2Np9Kt4Wb6Hc1Jf5Gd0Ys8Ue3Ri7To2Pa4Sl9Dk6Fj1Mn5Bv0Cx8Qz"
PLANTED = (ENV_PASSWORD, ENV_TOKEN, PY_PASSWORD, PY_AWS, PY_KEY_BODY)


def leaked_pieces(text: str, secrets=PLANTED, size: int = 4) -> set[str]:
    return {s[i:i + size] for s in secrets for i in range(len(s) - size + 1) if s[i:i + size] in text}


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [text for item in items for text in strings_in(item)]


def test_no_piece_of_a_secret_reaches_the_model_or_any_message(tmp_path, fake_model):
    repo = make_repo(tmp_path / "r", {"README.md": "shop\n"})
    (repo / ".env").write_text(f"DB_PASSWORD={ENV_PASSWORD}\nGITHUB_TOKEN={ENV_TOKEN}\n")
    (repo / "app").mkdir()
    begin, end = "-----BEGIN RSA " + "PRIVATE KEY-----", "-----END RSA " + "PRIVATE KEY-----"
    (repo / "app" / "config.py").write_text(
        f'db_password = "{PY_PASSWORD}"\nAWS_ACCESS_KEY_ID = "{PY_AWS}"\n'
        f'SIGNING_KEY = """{begin}\n{PY_KEY_BODY}\n{end}\n"""\n' + QUERY)
    git(repo, "add", "-A")
    fake_model.script([""])
    result = run_surgeon("review", "--llm", "--json", cwd=repo, env=fake_model.env())
    assert result.code == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    rules = {(f["path"], f["rule"]) for f in findings}
    assert {(".env", "secret.password"), (".env", "secret.github"), ("app/config.py", "secret.password"), ("app/config.py", "secret.aws"),
            ("app/config.py", "secret.private-key")} <= rules
    sent = fake_model.all_text()
    assert "+++ b/app/config.py" in sent and "SELECT * FROM users" in sent  # the change was sent...
    assert leaked_pieces(sent) == set()  # ...but not one piece of a secret
    assert "GITHUB_TOKEN" not in sent and "DB_PASSWORD" not in sent  # nothing of .env's content
    (request,) = fake_model.requests
    prompt = "\n".join(strings_in(request.body))
    env_lines = [line for line in prompt.splitlines() if ".env" in line]  # its findings: path, line, rule only
    assert "- .env:1 secret.password (file not sent)" in env_lines
    assert all(line.endswith("(file not sent)") or line.startswith("surgeon review: note") for line in env_lines)
    assert "…" not in sent
    for finding in findings:  # no message, in any output, carries a piece of the secret it is about
        assert leaked_pieces(finding["message"]) == set() and "…" not in finding["message"], finding
    for args in (("review", "--sarif"), ("review",)):
        shown = run_surgeon(*args, cwd=repo)
        messages = [r["message"]["text"] for r in json.loads(shown.stdout)["runs"][0]["results"]] \
            if "--sarif" in args else [line for line in shown.stdout.splitlines() if "secret." in line]
        assert messages and all(leaked_pieces(m) == set() for m in messages), messages


def test_change_text_is_gits_diff_and_a_git_failure_is_git_failed(tmp_path):
    repo = staged(tmp_path)
    users, absent = SourceFile("app/users.py", QUERY), SourceFile("gone.py", "x = 1\n")
    index = Scope("staged changes", (users, absent), content_ref="")
    text = change_text(repo, index, frozenset())
    assert "+++ b/app/users.py" in text and "gone.py" not in text  # a path in neither side adds nothing
    assert change_text(repo, Scope("x", (absent,), content_ref=""), frozenset()) == ""
    with pytest.raises(GitFailed, match="git diff failed"):
        change_text(repo, Scope("x", (users,), content_ref="no-such-commit"), frozenset())


def test_review_llm_keeps_to_max_cost(tmp_path, fake_model):
    repo = staged(tmp_path)
    fake_model.script([reply()])
    result = run_surgeon("review", "--llm", cwd=repo, env={**fake_model.env(), "SURGEON_MAX_COST": "0.000001"})
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "max_cost" in result.stderr.splitlines()[-1] and "not sent" in result.stderr.splitlines()[-1]
    assert fake_model.requests == []
