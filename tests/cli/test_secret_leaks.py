"""No secret reaches a model, through the real commands and the fake model server that records every
request (issue 15, items 6 and 7): nothing of a never-sent file is quoted back in a refusal, and a
secret's placeholder comes back only where it stood."""

from __future__ import annotations

import json

import pytest

from tests.helpers import git, make_repo, run_surgeon

APP = 'def greet(name):\n    return "Hello, " + name\n'
PEM_BODY = ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
            "QyNTUxOQAAACDqG7Xk2mV9pLr4Tz8QwE1sYcH3uN6bJfK0aDgR5vMiZwAAAJgq1w7fKtcO")
NEVER_SENT = {
    ".env": "DB_USER=app\nDB_PORT=5432\nDB_HOST=internal-db-7781.corp\nDEBUG=0\n",
    "id_rsa": "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(PEM_BODY) + "\n-----END OPENSSH PRIVATE KEY-----\n",
    "internal/hosts.txt": "# hosts\nprimary = vault-9931.corp\nbackup = vault-9932.corp\n",
}


def fenced(diff: str) -> str:
    return f"Here is the change.\n\n```diff\n{diff}```\n"


# Each diff writes a little of the file (what the model could guess) so that the engine's refusal would
# describe the closest place by quoting the lines the model did not write.
ATTACKS = [
    fenced("--- a/.env\n+++ b/.env\n@@ -1,4 +1,4 @@\n DB_USER=app\n DB_PORT=5432\n-DB_HOST=internal\n"
           "+DB_HOST=other\n"),
    fenced("--- a/id_rsa\n+++ b/id_rsa\n@@ -1,3 +1,3 @@\n -----BEGIN OPENSSH PRIVATE KEY-----\n-AAAA\n+BBBB\n"),
    fenced("--- a/internal/hosts.txt\n+++ b/internal/hosts.txt\n@@ -1,3 +1,3 @@\n # hosts\n-primary = vault\n"
           "+primary = elsewhere\n"),
]
GREET_HI = fenced('--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,2 @@\n def greet(name):\n-    return "Hello, " + name\n'
                  '+    return "Hi, " + name\n')


@pytest.fixture
def repo(tmp_path):
    root = make_repo(tmp_path / "repo", {"app.py": APP, ".surgeonignore": "internal/\n", **NEVER_SENT})
    return root


def unseen_lines() -> list[str]:
    """Every line of the never-sent files that no scripted reply holds: none may reach the server."""
    written = "".join(ATTACKS)
    return [line for text in NEVER_SENT.values() for line in text.splitlines() if line not in written]


def assert_nothing_of_the_never_sent_files_was_sent(fake_model) -> None:
    sent = fake_model.all_text()
    assert "DB_HOST=internal-db-7781.corp" in unseen_lines() and PEM_BODY[0] in unseen_lines()
    for line in unseen_lines():
        assert line not in sent, line
    for value in ("internal-db-7781", "vault-9932", PEM_BODY[0][:16], PEM_BODY[1][:16]):
        assert value not in sent


def test_edit_never_quotes_a_never_sent_file_in_its_retry_feedback(repo, fake_model):
    fake_model.script([*ATTACKS, GREET_HI])
    run = run_surgeon("edit", "make greet say Hi", "--files", "app.py", "--max-attempts", "4", "--json",
                      cwd=repo, env=fake_model.env())
    assert run.code == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    refused = [a for a in out["attempts"] if a["status"] == "refused"]
    assert [[e["path"] for e in a["errors"]] for a in refused] == [[".env"], ["id_rsa"], ["internal/hosts.txt"]]
    assert all("never sent to a model" in a["errors"][0]["reason"] for a in refused)
    assert len(fake_model.requests) == 4
    assert "never sent to a model" in fake_model.requests[1].text()
    assert_nothing_of_the_never_sent_files_was_sent(fake_model)


def test_pair_never_quotes_a_never_sent_file_in_this_turn_or_later_ones(repo, fake_model):
    fake_model.script([*ATTACKS, GREET_HI])
    run = run_surgeon("pair", "--model", "anthropic:fake-one", "--json", cwd=repo, env=fake_model.env(),
                      input="/add app.py\nmake greet say Hi\nmake greet say Hi, really\na\n")
    assert run.code == 0, run.stderr
    assert len(fake_model.requests) == 4
    assert_nothing_of_the_never_sent_files_was_sent(fake_model)


SECRET = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dcQ9aK3mZx"
GITHUB = "ghp_" + "sMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8"
SETTINGS = f'STRIPE_KEY = "{SECRET}"\nRETRIES = 3\n'


@pytest.mark.parametrize(("name", "diff"), [
    ("a new line", "--- a/settings.py\n+++ b/settings.py\n@@ -1,2 +1,3 @@\n STRIPE_KEY = \"<<SECRET_1>>\"\n"
                   " RETRIES = 3\n+open(\"leak.txt\", \"w\").write(\"<<SECRET_1>>\")\n"),
    ("its own line, re-purposed", "--- a/settings.py\n+++ b/settings.py\n@@ -1,2 +1,2 @@\n"
                                  "-STRIPE_KEY = \"<<SECRET_1>>\"\n+print(\"<<SECRET_1>>\")\n RETRIES = 3\n"),
    ("another file", "--- a/settings.py\n+++ b/settings.py\n@@ -1,2 +1,2 @@\n STRIPE_KEY = \"<<SECRET_1>>\"\n"
                     "-RETRIES = 3\n+RETRIES = 4\n--- /dev/null\n+++ b/leak.py\n@@ -0,0 +1 @@\n"
                     "+KEY = \"<<SECRET_1>>\"\n"),
])
def test_a_placeholder_that_does_not_come_back_where_it_stood_is_refused(tmp_path, fake_model, name, diff):
    repo = make_repo(tmp_path / "pay", {"settings.py": SETTINGS})
    fake_model.script([fenced(diff)])
    run = run_surgeon("edit", "add leak.py and change settings.py", "--max-attempts", "1", "--json",
                      "--dry-run", cwd=repo, env=fake_model.env())
    assert run.code == 1, run.stdout
    [error] = json.loads(run.stdout)["errors"]
    assert "where it did not stand" in error["reason"] and error["hunk"] == 1, error
    assert error["path"] in ("settings.py", "leak.py")
    assert SECRET not in run.stdout + run.stderr + fake_model.all_text()
    assert git(repo, "branch", "--list", "surgeon/*") == ""


def test_a_placeholder_in_its_own_line_comes_back_as_the_secret(tmp_path, fake_model):
    repo = make_repo(tmp_path / "pay", {"settings.py": SETTINGS})
    fake_model.script([fenced("--- a/settings.py\n+++ b/settings.py\n@@ -1,2 +1,2 @@\n"
                              "-STRIPE_KEY = \"<<SECRET_1>>\"\n+STRIPE_KEY = \"<<SECRET_1>>\"  # live\n"
                              "-RETRIES = 3\n+RETRIES = 4\n")])
    run = run_surgeon("edit", "set RETRIES to 4 in settings.py", "--json", cwd=repo, env=fake_model.env())
    assert run.code == 0, run.stdout
    branch = json.loads(run.stdout)["branch"]
    assert git(repo, "show", f"{branch}:settings.py") == f'STRIPE_KEY = "{SECRET}"  # live\nRETRIES = 4\n'
    assert SECRET not in fake_model.all_text()


@pytest.mark.parametrize("args", [(), ("--json",), ("--sarif",), ("--pre-commit", "app/settings.py"), ("--all",),
                                  ("--fix",)])
def test_review_never_prints_a_secret_it_found(tmp_path, args):
    """The proposed fix replaces the secret's line: its removed line showed the value (issue 15, item 10)."""
    repo = make_repo(tmp_path / "shop", {"app/__init__.py": ""})
    (repo / "app" / "settings.py").write_text(f'import os\n\nSTRIPE_KEY = "{SECRET}"\nGH = "{GITHUB}"\n')
    git(repo, "add", "-A")
    run = run_surgeon("review", *args, cwd=repo)
    assert run.code == 1, run.stdout + run.stderr
    out = run.stdout + run.stderr
    assert "secret.stripe" in out and "secret.github" in out
    if "--sarif" not in args:
        assert "os.environ[" in out  # the fix is still proposed
    for value in (SECRET, GITHUB, SECRET[8:20], GITHUB[4:16]):
        assert value not in out


def test_scope_and_secrets_refusals_name_their_hunk(tmp_path, fake_model):
    repo = make_repo(tmp_path / "shop", {"app.py": APP, "other.py": "X = 1\n"})
    adds_key = fenced('--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n def greet(name):\n     return "Hello, " + name\n'
                      f'+STRIPE = "{SECRET}"\n')
    unshown = fenced("--- a/other.py\n+++ b/other.py\n@@ -1 +1 @@\n-X = 1\n+X = 2\n")
    fake_model.script([adds_key, unshown])
    run = run_surgeon("edit", "make greet say Hi", "--files", "app.py", "--max-attempts", "2", "--json",
                      cwd=repo, env=fake_model.env())
    assert run.code == 1, run.stdout
    first, second = (a["errors"] for a in json.loads(run.stdout)["attempts"])
    assert [(e["path"], e["hunk"], e["line"]) for e in first] == [("app.py", 1, 3)]
    assert [(e["path"], e["hunk"]) for e in second] == [("other.py", 1)]
