"""--llm: the staged diff goes to the review model (fake server) with secrets redacted; its findings are
merged; its diffs are kept only when the diff engine validates them."""

import json

from surgeon.review.llm import parse_reply
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
