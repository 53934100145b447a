"""fixes: text edits -> minimal unified diffs, validated by the diff engine against the reviewed content."""

from surgeon.review.engine import run_checks
from surgeon.review.findings import Finding, TextEdit
from surgeon.review.fixes import (
    apply_edits,
    attach_diffs,
    combined_fix,
    env_name,
    onto_other_content,
    unified_diff,
)
from surgeon.review.scope import SourceFile
from surgeon.review.settings import ReviewSettings

AWS_ID = "AKIA" + "UJZDE8GXD6NCF10E"


def fixed(files: dict[str, str]):
    sources = {path: SourceFile(path, text) for path, text in files.items()}
    findings, _ = run_checks(list(sources.values()), ReviewSettings())
    return attach_diffs(findings, sources)


def test_apply_edits_and_overlaps():
    text = "one\ntwo\nthree\n"
    assert apply_edits(text, [TextEdit.replace_on_line(2, 0, 3, "TWO"), TextEdit.insert(4, 0, "four\n")]) == \
        "one\nTWO\nthree\nfour\n"
    assert apply_edits(text, [TextEdit.replace_on_line(2, 0, 3, "x"), TextEdit.replace_on_line(2, 1, 2, "y")]) is None
    assert apply_edits(text, [TextEdit.replace_on_line(9, 0, 1, "x")]) is None


def test_unified_diff_marks_a_missing_final_newline():
    diff = unified_diff("a.txt", "x\ny", "x\nz")
    assert diff.startswith("--- a/a.txt\n+++ b/a.txt\n@@ ")
    assert diff.endswith("-y\n\\ No newline at end of file\n+z\n\\ No newline at end of file\n")


def test_env_names():
    assert [env_name(n) for n in ("apiKey", "api_key", "API_KEY", "stripe-key")] == \
        ["API_KEY", "API_KEY", "API_KEY", "STRIPE_KEY"]


def test_mechanical_fixes_are_validated_diffs():
    outcome = fixed({
        "deploy/site.conf": "http {\n    server_tokens on;\n    proxy_read_timeout 3600s;\n}\n",
        "app/client.py": "import requests\n\n\ndef f(url):\n    return requests.get(url, verify=False)\n",
        "app.service": "[Service]\nTimeoutStopSec=infinity\n",
    })
    diffs = {(f.path, f.rule): f.diff for f in outcome.findings}
    assert outcome.notes == ()
    assert "-    server_tokens on;\n+    server_tokens off;\n" in diffs[("deploy/site.conf", "risky.server-tokens")]
    assert "+    proxy_read_timeout 60s;\n" in diffs[("deploy/site.conf", "timeout.nginx")]
    assert "+    return requests.get(url)\n" in diffs[("app/client.py", "risky.tls-verify-off")]
    assert "+    return requests.get(url, verify=False, timeout=10)\n" in diffs[("app/client.py", "timeout.http-missing")]
    assert "+TimeoutStopSec=90s\n" in diffs[("app.service", "timeout.systemd")]


def test_secret_becomes_an_environment_read_with_import_os():
    outcome = fixed({"app/settings.py": f'"""Settings."""\n\nimport json\n\nAWS_ACCESS_KEY_ID = "{AWS_ID}"\n'})
    (finding,) = outcome.findings
    assert finding.diff is not None
    assert "+import os\n import json\n" in finding.diff
    assert '+AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]\n' in finding.diff
    assert AWS_ID in finding.diff  # the removed line; the diff is for the person, never sent anywhere


def test_secret_in_javascript_and_no_fix_where_not_mechanical():
    outcome = fixed({"web/pay.js": f'const awsKey = "{AWS_ID}";\n', "ci.yml": f"key: {AWS_ID}\n"})
    diffs = {f.path: f.diff for f in outcome.findings}
    assert '+const awsKey = process.env.AWS_KEY;\n' in diffs["web/pay.js"]
    assert diffs["ci.yml"] is None


def test_a_fix_the_engine_refuses_is_dropped_with_a_note():
    source = SourceFile("app/x.py", "def f():\n    return 1\n")
    broken = Finding("app/x.py", 2, "risky.debug", "medium", "m",
                     edits=(TextEdit.replace_on_line(2, 4, 12, "return (1"),))  # a syntax error
    outcome = attach_diffs([broken], {"app/x.py": source})
    assert outcome.findings[0].diff is None
    assert outcome.notes and "proposed fix dropped" in outcome.notes[0]


def test_combined_fix_merges_fixes_per_file_once():
    sources = {"app/c.py": SourceFile("app/c.py", "import requests\nA = requests.get('u')\nB = requests.get('v')\n")}
    findings, _ = run_checks(list(sources.values()), ReviewSettings())
    outcome = attach_diffs(findings, sources)
    result, notes, used = combined_fix(outcome.findings, sources)
    assert result is not None and result.ok and notes == []
    assert len(used) == 2
    (change,) = result.changes
    assert change.new_content == b"import requests\nA = requests.get('u', timeout=10)\nB = requests.get('v', timeout=10)\n"


def test_a_fix_moves_onto_other_content_only_where_it_lands_in_one_place():
    staged = "http {\n    proxy_read_timeout 3600s;\n    gzip on;\n}\n"
    sources = {"n.conf": SourceFile("n.conf", staged)}
    findings, _ = run_checks(list(sources.values()), ReviewSettings())
    result, _, _ = combined_fix(attach_diffs(findings, sources).findings, sources)

    def moved_onto(text: str):
        moved = onto_other_content(result, lambda path: text.encode())
        return None if moved is None else moved.changes[0].new_content.decode()

    shifted = "# edge\n" + staged.replace("gzip on;", "gzip off;")  # lines moved and a neighbour edited
    assert moved_onto(shifted) == shifted.replace("3600s", "60s")
    assert moved_onto(staged.replace("3600s", "7200s")) is None  # the flagged line itself changed
    twice = "# edge\nhttp {\n    proxy_read_timeout 3600s;\n}\nhttp {\n    gzip off;\n    proxy_read_timeout 3600s;\n}\n"
    assert moved_onto(twice) is None  # two places it could go, neither where it was: no guessing
