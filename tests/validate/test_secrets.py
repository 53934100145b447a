"""The secrets validator: no placeholder and no new secret may land in a file."""

from __future__ import annotations

from surgeon.diff import FileChange
from surgeon.validate.secrets import added_lines, check_changes

OLD = 'import os\n\nDATABASE_URL = os.environ["DATABASE_URL"]\nTIMEOUT = 30\n'
SPLIT = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBmK3c8aP7bQ1xY2zR4vW9nL0sT6uJ5hG8fD3eC2bA1ooAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"


def change(path: str, old: str | None, new: str | None) -> FileChange:
    return FileChange(path=path, old_path=None, old_content=None if old is None else old.encode(),
                      new_content=None if new is None else new.encode(), old_mode=None, new_mode=None,
                      lines_added=0, lines_removed=0)


def test_added_lines_are_numbered_in_the_new_file():
    new = OLD.replace("TIMEOUT = 30\n", "TIMEOUT = 15\nRETRIES = 3\n")
    assert added_lines(change("a.py", OLD, new)) == [(4, "TIMEOUT = 15"), (5, "RETRIES = 3")]


def test_plain_code_passes():
    assert check_changes([change("a.py", OLD, OLD + "RETRIES = 3\n")]) == []
    assert check_changes([change("gone.py", OLD, None)]) == []


def test_a_new_hard_coded_secret_is_refused_with_its_line():
    new = OLD.replace('DATABASE_URL = os.environ["DATABASE_URL"]', 'DATABASE_URL = "postgres://app:Xy9pQ2wE7r@db:5432/app"')
    [refusal] = check_changes([change("settings.py", OLD, new)])
    assert (refusal.path, refusal.line) == ("settings.py", 3)
    assert "adds a new secret (Basic Auth Credentials)" in refusal.reason
    assert str(refusal).startswith("settings.py: line 3: adds a new secret")


def test_new_files_and_multi_line_keys_are_checked():
    refusals = check_changes([change("deploy/signing.py", None, f'KEY = """{KEY}"""\n'),
                              change("app.js", None, "const stripe = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';\n")])
    assert [(r.path, r.line) for r in refusals] == [("deploy/signing.py", 1), ("app.js", 1)]
    assert "Private Key" in refusals[0].reason


def test_a_secret_that_was_already_there_is_not_new():
    old = OLD + 'API_TOKEN = "ghp_R8yLqk2Nd7ZfW4mXc9TbVh3JpQa6Se1Ug5Ko"\n'
    moved = 'API_TOKEN = "ghp_R8yLqk2Nd7ZfW4mXc9TbVh3JpQa6Se1Ug5Ko"\n' + OLD.replace("TIMEOUT = 30", "TIMEOUT = 15")
    assert check_changes([change("settings.py", old, moved)]) == []
    # moved to another changed file in the same diff
    assert check_changes([change("settings.py", old, OLD), change("tokens.py", None, old)]) == []


def test_a_placeholder_written_into_a_file_is_refused():
    new = OLD + 'API_SECRET = "<<SECRET_3>>"\nOTHER = "<< SECRET_4>>"\n'
    refusals = check_changes([change("settings.py", OLD, new)])
    assert [(r.line, "placeholder <<SECRET_3>>" in r.reason) for r in refusals][:1] == [(5, True)]
    assert len(refusals) == 2 and "which stands for a secret hidden from you" in refusals[0].reason


def test_refusals_name_the_hunk_of_the_diff_as_written():
    from surgeon.validate.secrets import check_changes

    new = OLD.replace("TIMEOUT = 30\n", "TIMEOUT = 30\nAPI_KEY = \"<<SECRET_3>>\"\nTOKEN_KEY = \"" + SPLIT + "\"\n")
    diff = ("--- a/settings.py\n+++ b/settings.py\n@@ -1,1 +1,1 @@\n-import os\n+import os\n"
            "@@ -4,1 +4,3 @@\n TIMEOUT = 30\n+API_KEY = \"<<SECRET_3>>\"\n+TOKEN_KEY = \"" + SPLIT + "\"\n")
    refusals = check_changes([change("settings.py", OLD, new)], diff)
    assert [(r.hunk, r.line) for r in refusals] == [(2, 5), (2, 6)]


def test_placeholders_come_back_only_where_they_stood():
    from surgeon.validate.secrets import restore_placeholders

    values = {"<<SECRET_1>>": "s3cr3t-Value-9"}

    def restore(text: str) -> str:
        return text.replace("<<SECRET_1>>", values["<<SECRET_1>>"])

    kept = '--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n-KEY = "<<SECRET_1>>"\n+KEY = "<<SECRET_1>>"  # live\n'
    text, refusals = restore_placeholders(kept, restore)
    assert refusals == [] and text.count("s3cr3t-Value-9") == 2
    context = '--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n KEY = "<<SECRET_1>>"\n--- old\n+--- new\n'
    assert restore_placeholders(context, restore) == (restore(context), [])
    for added in ('+COPY = "<<SECRET_1>>"\n', '+KEY = "<<SECRET_1>>"\n+KEY2 = "<<SECRET_1>>"\n'):
        diff = f'--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n-KEY = "<<SECRET_1>>"\n{added}'
        text, [refusal] = restore_placeholders(diff, restore)
        assert (refusal.path, refusal.hunk) == ("a.py", 1) and "where it did not stand" in refusal.reason
        assert "s3cr3t-Value-9" not in text.split("\n")[-2]  # the misplaced line keeps its placeholder
