"""`surgeon review` through the real CLI: output shapes, exit codes, scopes, baseline, --fix."""

import json

import pytest

from tests.helpers import git, make_repo, repo_state, run_surgeon

AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"


def staged_repo(tmp_path, files, base=None):
    repo = make_repo(tmp_path / "r", base or {"README.md": "shop\n"})
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    return repo


def test_json_shape_and_blocking_exit(tmp_path):
    repo = staged_repo(tmp_path, {
        "app/settings.py": f'import os\n\nAWS_ACCESS_KEY_ID = "{AWS_ID}"\n',
        "deploy/site.conf": "http {\n    proxy_read_timeout 3600s;\n}\n",
    })
    result = run_surgeon("review", "--json", cwd=repo)
    assert result.code == 1, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"findings", "files_checked", "seconds"}
    assert payload["files_checked"] == 2 and isinstance(payload["seconds"], float)
    by_rule = {f["rule"]: f for f in payload["findings"]}
    assert set(by_rule) == {"secret.aws", "timeout.nginx"}
    nginx = by_rule["timeout.nginx"]
    assert set(nginx) == {"path", "line", "rule", "severity", "message", "diff"}
    assert (nginx["path"], nginx["line"], nginx["severity"]) == ("deploy/site.conf", 2, "medium")
    assert nginx["diff"].startswith("--- a/deploy/site.conf\n+++ b/deploy/site.conf\n@@ ")
    assert AWS_ID not in by_rule["secret.aws"]["message"]


def test_fail_on_threshold_from_flag_and_config(tmp_path):
    repo = staged_repo(tmp_path, {"deploy/site.conf": "http {\n    proxy_read_timeout 3600s;\n}\n"})
    assert run_surgeon("review", cwd=repo).code == 0  # medium < high (the default)
    assert run_surgeon("review", "--fail-on", "medium", cwd=repo).code == 1
    (repo / ".surgeon.toml").write_text('[review]\nfail_on = "low"\nmax_timeout_seconds = 7200\n')
    result = run_surgeon("review", "--json", cwd=repo)
    assert result.code == 0 and json.loads(result.stdout)["findings"] == []  # 3600 s is under 7200 s now
    (repo / ".surgeon.toml").write_text('[review]\nfail_on = "urgent"\n')
    bad = run_surgeon("review", cwd=repo)
    assert bad.code == 2 and "review.fail_on" in bad.stderr and "Traceback" not in bad.stderr


def test_old_lines_do_not_block_a_new_commit(tmp_path):
    repo = staged_repo(tmp_path, {"app/b.py": "y = 2\n"}, base={"app/a.py": f'KEY = "{AWS_ID}"\n'})
    result = run_surgeon("review", "--json", cwd=repo)
    assert result.code == 0 and json.loads(result.stdout)["findings"] == []
    assert run_surgeon("review", "--all", cwd=repo).code == 1
    assert run_surgeon("review", "app/a.py", cwd=repo).code == 1


def test_human_output_groups_by_file_with_the_diff_under_each_finding(tmp_path):
    repo = staged_repo(tmp_path, {
        "deploy/site.conf": "http {\n    server_tokens on;\n    proxy_read_timeout 3600s;\n}\n",
        "app/c.py": "import requests\nr = requests.get('u')\n",
    })
    result = run_surgeon("review", cwd=repo)
    lines = result.stdout.splitlines()
    assert lines[0] == "app/c.py"
    assert "timeout.http-missing" in lines[1]
    assert lines[2].strip() == "--- a/app/c.py"
    assert "deploy/site.conf" in lines
    assert any("risky.server-tokens" in line for line in lines)
    assert "+    server_tokens off;" in result.stdout
    assert "3 finding(s)" in result.stdout and "staged changes" in result.stdout


def test_clean_commit_is_quiet_and_passes(example_repo):
    (example_repo / "ingest" / "extra.py").write_text("LIMIT = 10\n")
    git(example_repo, "add", "-A")
    result = run_surgeon("review", cwd=example_repo)
    assert result.code == 0
    assert result.stdout.strip().startswith("surgeon review: 0 finding(s) in 1 file(s)")


def test_example_stack_all_files(example_repo):
    result = run_surgeon("review", "--all", "--json", cwd=example_repo)
    assert result.code == 0, result.stderr
    found = {(f["path"], f["rule"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {("web/analytics.js", "timeout.http-missing")}


def test_skip_variable_exits_zero_with_a_note(tmp_path):
    result = run_surgeon("review", cwd=tmp_path, env={"SURGEON_SKIP": "1"})  # not even a repository
    assert result.code == 0
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1 and "SURGEON_SKIP" in result.stderr


@pytest.mark.parametrize("args", [
    ("--staged", "--all"), ("--json", "--sarif"), ("--range", "main"), ("--range", "main..nope"),
    ("--range", "HEAD..HEAD", "--fix"), ("no/such/file.py",), ("--fail-on", "urgent"),
])
def test_usage_errors_exit_two(tmp_path, args):
    repo = staged_repo(tmp_path, {"a.py": "x = 1\n"})
    result = run_surgeon("review", *args, cwd=repo)
    assert result.code == 2, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


def test_outside_a_repository(tmp_path):
    result = run_surgeon("review", cwd=tmp_path)
    assert result.code == 2 and "not inside a git repository" in result.stderr


def test_range(tmp_path):
    repo = make_repo(tmp_path / "r", {"a.py": "x = 1\n"})
    git(repo, "checkout", "-q", "-b", "topic")
    (repo / "a.py").write_text(f'x = 1\nKEY = "{AWS_ID}"\n')
    git(repo, "commit", "-qam", "key")
    result = run_surgeon("review", "--range", "main..topic", "--json", cwd=repo)
    assert result.code == 1
    assert [(f["path"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [("a.py", 2)]
    assert run_surgeon("review", "--range", "topic..main", cwd=repo).code == 0


def test_sarif(tmp_path):
    repo = staged_repo(tmp_path, {"deploy/site.conf": "http {\n    server_tokens on;\n}\n",
                                  "app/s.py": f'KEY = "{AWS_ID}"\n'})
    result = run_surgeon("review", "--sarif", cwd=repo)
    assert result.code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    (run,) = sarif["runs"]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert "secret.aws" in rules and "timeout.nginx" in rules  # every rule is described
    results = {r["ruleId"]: r for r in run["results"]}
    assert results["secret.aws"]["level"] == "error"
    assert AWS_ID not in result.stdout  # SARIF is uploaded: no secret, not even in a proposed fix
    assert "fixes" not in results["secret.aws"] and "diff" not in results["secret.aws"]["properties"]
    tokens = results["risky.server-tokens"]
    assert tokens["level"] == "note" and rules[tokens["ruleIndex"]] == "risky.server-tokens"
    location = tokens["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "deploy/site.conf", "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": 2}}
    (replacement,) = tokens["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {"deletedRegion": {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 1},
                           "insertedContent": {"text": "    server_tokens off;\n"}}


def test_write_baseline_accepts_findings_without_storing_the_secret(tmp_path):
    repo = staged_repo(tmp_path, {"app/s.py": f'KEY = "{AWS_ID}"\n'})
    written = run_surgeon("review", "--write-baseline", cwd=repo)
    assert written.code == 0, written.stderr
    baseline = (repo / ".surgeon-baseline.json").read_text()
    assert AWS_ID not in baseline and '"rule": "secret.aws"' in baseline
    result = run_surgeon("review", cwd=repo)
    assert result.code == 0 and "1 accepted by baseline" in result.stdout
    # The same key moved to another line stays accepted; a new key does not.
    (repo / "app/s.py").write_text(f'\n\nKEY = "{AWS_ID}"\nOTHER = "AKIA' + 'Q7NE4XRZ2KM5TB3W"\n')
    git(repo, "add", "-A")
    after = run_surgeon("review", "--json", cwd=repo)
    assert [f["line"] for f in json.loads(after.stdout)["findings"]] == [4]


def test_write_baseline_json_is_one_object(tmp_path):
    repo = staged_repo(tmp_path, {"app/s.py": f'KEY = "{AWS_ID}"\nOTHER = "AKIA' + 'Q7NE4XRZ2KM5TB3W"\n'})
    first = run_surgeon("review", "--write-baseline", "--json", cwd=repo)
    assert first.code == 0 and first.stderr == ""
    assert json.loads(first.stdout) == {"status": "ok", "accepted": 2, "baseline": ".surgeon-baseline.json",
                                        "total": 2}
    (repo / "app/t.py").write_text('import requests\nr = requests.get("u")\n')
    git(repo, "add", "-A")
    again = run_surgeon("review", "--write-baseline", "--json", cwd=repo)
    assert json.loads(again.stdout) == {"status": "ok", "accepted": 1, "baseline": ".surgeon-baseline.json",
                                        "total": 3}  # the two accepted before are not findings any more


def test_fix_stages_a_review_branch_and_touches_nothing_else(tmp_path):
    repo = staged_repo(tmp_path, {"deploy/site.conf": "http {\n    server_tokens on;\n    proxy_read_timeout 3600s;\n}\n"})
    before = repo_state(repo)
    result = run_surgeon("review", "--fix", cwd=repo)
    assert result.code == 0, result.stderr
    assert repo_state(repo) == before
    branches = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/").split()
    assert len(branches) == 1 and branches[0] in result.stderr
    fixed = git(repo, "show", f"{branches[0]}:deploy/site.conf")
    assert fixed == "http {\n    server_tokens off;\n    proxy_read_timeout 60s;\n}\n"


def test_review_never_changes_the_repository(example_repo):
    (example_repo / "ingest" / "client.py").write_text(f'import requests\nKEY = "{AWS_ID}"\nr = requests.get("u")\n')
    git(example_repo, "add", "-A")
    before = repo_state(example_repo)
    assert run_surgeon("review", cwd=example_repo).code == 1
    assert run_surgeon("review", "--all", "--sarif", cwd=example_repo).code == 1
    assert repo_state(example_repo) == before


def test_disabled_rules_and_custom_fix_timeout(tmp_path):
    repo = staged_repo(tmp_path, {"app/c.py": 'import requests\nr = requests.get("https://api.partner.io/x")\n'})
    (repo / ".surgeon.toml").write_text('[review]\ndisable = ["origin"]\nfix_timeout_seconds = 3\n')
    result = run_surgeon("review", "--json", cwd=repo)
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["rule"] == "timeout.http-missing"
    assert 'requests.get("https://api.partner.io/x", timeout=3)' in finding["diff"]


def test_default_path_imports_no_model_sdk_grammar_or_rich(tmp_path):
    import subprocess
    import sys

    repo = staged_repo(tmp_path, {"app/c.py": "LIMIT = 10\n", "deploy/site.conf": "http {\n}\n"})
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "surgeon", "review", "--staged"],
                            cwd=repo, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "detect_secrets" in imported  # the secrets check is on the default path
    assert imported.isdisjoint({"anthropic", "openai", "tree_sitter", "git", "rich", "prompt_toolkit"})


NGINX_STAGED = "http {\n    server_tokens off;\n    proxy_read_timeout 3600s;\n    gzip on;\n}\n"


def test_fix_on_a_partly_staged_file_fixes_the_staged_line_and_keeps_the_other_edits(tmp_path):
    repo = staged_repo(tmp_path, {"nginx.conf": NGINX_STAGED})
    worktree = NGINX_STAGED.replace("gzip on;", "gzip off;")  # edited after `git add`, not staged
    (repo / "nginx.conf").write_text(worktree)
    before = repo_state(repo)
    result = run_surgeon("review", "--fix", cwd=repo)
    assert result.code == 0 and "timeout.nginx" in result.stdout, result.stderr
    assert "differs from the file the diff was made against" not in result.stderr
    assert "autocrlf" not in result.stderr and "nginx.conf has edits that are not staged" in result.stderr
    (branch,) = git(repo, "for-each-ref", "--format=%(refname:short)", "refs/heads/surgeon/").split()
    assert git(repo, "show", f"{branch}:nginx.conf") == worktree.replace("3600s", "60s")
    assert git(repo, "diff", f"{branch}~1", branch).count("\n+ ") == 1  # the fix alone, on the snapshot
    assert repo_state(repo) == before  # working tree and index untouched
    accepted = run_surgeon("accept", branch.rsplit("-", 1)[-1], cwd=repo)
    assert accepted.code == 0, accepted.stderr
    assert (repo / "nginx.conf").read_text() == worktree.replace("3600s", "60s")


def test_fix_refused_plainly_when_the_flagged_line_was_edited_again_without_staging(tmp_path):
    repo = staged_repo(tmp_path, {"nginx.conf": NGINX_STAGED})
    (repo / "nginx.conf").write_text(NGINX_STAGED.replace("3600s", "7200s"))  # not staged
    before = repo_state(repo)
    result = run_surgeon("review", "--fix", cwd=repo)
    assert result.code == 1 and "timeout.nginx" in result.stdout  # the report comes first
    assert "working tree differs from the index" in result.stderr and "git stash --keep-index" in result.stderr
    assert "autocrlf" not in result.stderr and "Nothing staged" in result.stderr
    assert "Traceback" not in result.stderr
    assert git(repo, "for-each-ref", "refs/heads/surgeon/") == ""
    assert repo_state(repo) == before
