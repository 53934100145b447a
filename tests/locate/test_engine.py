"""locate() on real git repositories: the cache, the working tree, odd files, pinned files."""

import shutil

import pytest

from surgeon.errors import UsageError
from surgeon.locate import estimate_tokens, locate, region_text
from tests.helpers import git, make_repo


def parses(repo, instruction="anything", **kwargs):
    parsed: list[str] = []
    result = locate(repo, instruction, on_parse=parsed.append, **kwargs)
    return result, sorted(parsed)


def small_repo(tmp_path):
    return make_repo(tmp_path / "repo", {
        "app/limits.py": "UPLOAD_LIMIT = 10\n\n\ndef check_upload(size):\n    return size <= UPLOAD_LIMIT\n",
        "app/views.py": "from app.limits import check_upload\n\n\ndef upload(request):\n    return check_upload(len(request))\n",
        "README.md": "# demo\n",
    })


def test_second_query_reparses_only_changed_files_including_uncommitted_and_untracked(tmp_path):
    repo = small_repo(tmp_path)
    _, first = parses(repo)
    assert first == ["README.md", "app/limits.py", "app/views.py"]
    _, second = parses(repo)
    assert second == []
    (repo / "app/views.py").write_text("def upload(request):\n    return 1\n")  # uncommitted edit
    (repo / "app/new.py").write_text("NEW_SETTING = 1\n")  # untracked
    result, third = parses(repo, "NEW_SETTING upload")
    assert third == ["app/new.py", "app/views.py"]
    assert {r.path for r in result.regions} >= {"app/new.py", "app/views.py"}
    _, fourth = parses(repo)
    assert fourth == []
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "more")
    _, after_commit = parses(repo)
    assert after_commit == []  # same blobs, now from the index


def test_working_tree_content_is_what_gets_located(tmp_path):
    repo = small_repo(tmp_path)
    locate(repo, "x")
    (repo / "app/limits.py").write_text("\n\n\nUPLOAD_LIMIT = 99\n")
    result = locate(repo, "UPLOAD_LIMIT")
    top = result.regions[0]
    assert (top.path, top.start_line) == ("app/limits.py", 2) or top.start_line <= 4 <= top.end_line


def test_cache_lives_under_dot_git_surgeon_by_default(tmp_path):
    repo = small_repo(tmp_path)
    locate(repo, "UPLOAD_LIMIT")
    assert (repo / ".git" / "surgeon" / "locate" / "index.sqlite").is_file()
    custom = tmp_path / "cache"
    locate(repo, "UPLOAD_LIMIT", cache_dir=custom)
    assert (custom / "index.sqlite").is_file()


def test_parallel_indexing_gives_the_same_answer(tmp_path):
    files = {f"pkg/mod{i}.py": f"def handler_{i}(x):\n    return x + {i}\n" for i in range(120)}
    repo = make_repo(tmp_path / "many", files)
    serial = locate(repo, "handler_77", cache_dir=tmp_path / "c1", workers=1)
    parallel = locate(repo, "handler_77", cache_dir=tmp_path / "c2", workers=2)
    assert serial.regions == parallel.regions
    assert parallel.regions[0].path == "pkg/mod77.py"
    assert parallel.files_indexed == 120


def test_control_characters_in_an_instruction_do_not_crash(tmp_path):
    result = locate(small_repo(tmp_path), 'the "UPLOAD\0_LIMIT" value \x07')
    assert result.files_indexed == 3


def test_empty_instruction_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="empty"):
        locate(small_repo(tmp_path), "   ")


def test_huge_binary_vendored_generated_files_are_skipped_and_counted(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "src/app.py": "def main():\n    return 'needle'\n",
        "node_modules/lib/index.js": "var needle = 1;\n",
        "static/app.min.js": "var needle=1;\n",
        "gen/api.pb.go": "package gen\n",
        "img/logo.png": b"\x89PNG\r\n\x1a\n\0\0needle",
        "data/blob.dat": b"needle\0\0\0binary",
    })
    locate(repo, "warm the cache first")
    (repo / "big.log").write_bytes(b"needle line\n" * (50 * 1024 * 1024 // 12))  # 50 MB, untracked
    (repo / "notes.txt").write_text("a needle in the notes\n")  # untracked
    for _ in range(2):
        result = locate(repo, "needle")
        assert result.skipped == {"binary": 2, "vendored": 1, "generated": 2, "huge": 1}
        assert {r.path for r in result.regions} == {"src/app.py", "notes.txt"}


def test_non_utf8_and_unparsable_files_do_not_crash(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "legacy.py": "# caf\xe9\ndef legacy_name():\n    return '\xe9'\n".encode("latin-1"),
        "broken.py": "def broken_fn(:\n    pass\n\ndef survivor_fn():\n    return broken_fn\n",
    })
    result = locate(repo, "legacy_name survivor_fn")
    paths = {r.path: r for r in result.regions}
    assert "legacy.py" in paths and "broken.py" in paths
    assert paths["broken.py"].symbol == "survivor_fn"


def test_repo_with_no_known_language_still_greps_text(tmp_path):
    repo = make_repo(tmp_path / "repo", {"notes/todo.txt": "remember the frobnicator\n", "data.xyz": "frobnicator=1\n"})
    result = locate(repo, "frobnicator")
    assert result.files_indexed == 2
    assert {r.path for r in result.regions} == {"notes/todo.txt", "data.xyz"}
    assert all(r.kind in ("lines", "file") for r in result.regions)


def test_repo_without_commits_or_files(tmp_path):
    empty = make_repo(tmp_path / "empty")
    result = locate(empty, "anything at all")
    assert result.regions == () and result.files_indexed == 0


def test_pinned_files_come_first_whole_when_they_fit(tmp_path):
    repo = small_repo(tmp_path)
    result = locate(repo, "UPLOAD_LIMIT", pinned=["README.md"])
    first = result.regions[0]
    assert (first.path, first.start_line, first.end_line, first.kind) == ("README.md", 1, 1, "file")
    assert "pinned" in first.why


def test_a_pinned_file_too_large_for_the_budget_is_trimmed_not_dropped(tmp_path):
    body = "".join(f"value_{i} = {i}\n" for i in range(2000))
    repo = make_repo(tmp_path / "repo", {"big_settings.py": body, "other.py": "value_1500 = 0\n"})
    result = locate(repo, "value_1500", pinned=["big_settings.py"], budget=300)
    assert result.regions[0].path == "big_settings.py"
    assert result.regions[0].start_line <= 1501 <= result.regions[0].end_line
    assert result.tokens <= 300


def test_region_tokens_match_estimate_tokens_of_their_text(example_repo):
    result = locate(example_repo, "update the CSP to allow https://s.ado.im", budget=2000)
    assert result.tokens <= 2000
    for region in result.regions:
        lines = (example_repo / region.path).read_text().split("\n")
        assert region.tokens == estimate_tokens(region_text(lines, region.start_line, region.end_line))


def test_a_committed_huge_file_is_skipped_and_its_content_never_returned(tmp_path):
    repo = make_repo(tmp_path / "repo", {"dump.sql": "INSERT needle;\n" * 100_000, "app.py": "needle = 1\n"})
    for _ in range(2):  # cold, then warm (from the cache)
        result = locate(repo, "needle")
        assert result.skipped["huge"] == 1
        assert {r.path for r in result.regions} == {"app.py"}


@pytest.mark.skipif(shutil.which("rg") is None, reason="ripgrep is not installed")
@pytest.mark.parametrize("instruction", [
    "update the CSP to allow https://s.ado.im",
    "add a /collect endpoint with strict method and size limits",
    "make the EventStore capacity configurable",
])
def test_ripgrep_and_git_grep_give_the_same_regions(example_repo, instruction):
    (example_repo / "notes.txt").write_text("EventStore capacity and CSP notes\n")  # untracked
    with_rg = locate(example_repo, instruction, grep_tool="rg")
    with_git = locate(example_repo, instruction, grep_tool="git grep")
    assert with_rg.regions == with_git.regions


@pytest.mark.skipif(shutil.which("rg") is None, reason="ripgrep is not installed")
def test_ripgrep_respects_the_same_exclusions(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "src/app.py": "needle = 1\n", "node_modules/x/index.js": "needle\n", "static/a.min.js": "needle\n",
        ".gitignore": "ignored/\n", "ignored/x.py": "needle = 2\n",
    })
    (repo / "big.txt").write_bytes(b"needle\n" * 300_000)
    result = locate(repo, "needle", grep_tool="rg")
    assert {r.path for r in result.regions} == {"src/app.py"}


def test_old_versions_are_pruned_from_the_cache_when_it_grows(tmp_path, monkeypatch):
    from surgeon.locate import engine
    from surgeon.locate.cache import IndexCache

    monkeypatch.setattr(engine, "PRUNE_SLACK", 3)
    repo = small_repo(tmp_path)
    for version in range(12):
        (repo / "app/limits.py").write_text(f"UPLOAD_LIMIT = {version}\n")
        locate(repo, "UPLOAD_LIMIT")
    with IndexCache(repo / ".git" / "surgeon" / "locate" / "index.sqlite") as cache:
        assert len(cache.known()) <= 3 * 3 + 3 + 1
    _, parsed = parses(repo)
    assert parsed == []  # what is current stays cached


def test_any_instruction_on_the_example_stack_stays_within_budget(tmp_path_factory):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from tests.helpers import copy_example

    repo = copy_example(tmp_path_factory.mktemp("prop") / "stack")
    words = st.sampled_from(["CSP", "allow", "nginx", "/api/events", "EventStore", "'too large'", "https://x.io",
                             'File "ingest/app.py", line 25, in read_limited_body', "limit", "\u00e9t\u00e9", "{}", "..."])

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.one_of(words, st.text(max_size=12)), min_size=1, max_size=8), st.integers(50, 3000))
    def check(parts, budget):
        instruction = " ".join(parts)
        if not instruction.strip():
            return
        result = locate(repo, instruction, budget=budget)
        assert result.tokens == sum(r.tokens for r in result.regions) <= budget
        seen = set()
        for r in result.regions:
            assert 1 <= r.start_line <= r.end_line
            for line in range(r.start_line, r.end_line + 1):
                assert (r.path, line) not in seen  # regions never overlap
                seen.add((r.path, line))

    check()


@pytest.mark.parametrize(("instruction", "named"), [
    ("README: say that exit code 141 means the reader closed stdout", "README.md"),
    ("CHANGELOG entry for the retry fix", "CHANGELOG.rst"),
    ("Makefile: run ruff before the tests", "Makefile"),
])
def test_conventional_file_names_count_as_named(tmp_path, instruction, named):
    files = {"README.md": "# tool\n\nExit codes: 0 done, 1 refused.\n", "docs/README.md": "# docs\n",
             "CHANGELOG.rst": "Changes\n=======\n\n1.0\n---\n- first\n", "Makefile": "test:\n\tpytest -q\n",
             "src/app.py": "def run():\n    # exit code of the tests and the retry count\n    return 0\n"}
    repo = make_repo(tmp_path / "r", files)
    result = locate(repo, instruction, budget=2000, on_note=lambda _t: None)
    assert result.regions[0].path == named
    assert "named in the instruction" in " ".join(result.regions[0].why)


def test_a_frame_in_an_installed_copy_of_the_repository_is_its_own_file(tmp_path):
    source = "def helper():\n    return 1\n\n\ndef is_disabled(doc):\n    return 'NO' in doc\n"
    repo = make_repo(tmp_path / "r", {"src/_shop/rewrite.py": source, "src/_shop/other.py": "def disabled():\n    pass\n"})
    trace = ("Traceback (most recent call last):\n"
             '  File "/usr/local/lib/python3.8/site-packages/_shop/rewrite.py", line 6, in is_disabled\n'
             "TypeError: argument of type 'int' is not iterable\n")
    result = locate(repo, f"crash when checking\n{trace}", budget=2000, on_note=lambda _t: None)
    assert result.regions[0].path == "src/_shop/rewrite.py"
    assert any(w.startswith("stack frame") for w in result.regions[0].why)


def test_a_warning_line_under_a_redacted_folder_names_its_file(tmp_path):
    # "[redacted]/site-packages/...:206": the path was read as a URL route, the issue template
    # (whose words the body repeats, and whose folder the title's "template" was taken to name)
    # came first, and the warning's own file third
    text = ("import warnings\n\n\nclass TextReporter:\n    def on_set_current_module(self, template):\n"
            "        for argument in template.split('{'):\n            warnings.warn(argument)\n")
    form = ("name: Bug report\nbody:\n  - type: textarea\n    attributes:\n      label: Bug description\n"
            "  - type: textarea\n    attributes:\n      label: Configuration\n  - type: textarea\n"
            "    attributes:\n      label: Command used\n  - type: textarea\n    attributes:\n"
            "      label: Expected behavior\n")
    repo = make_repo(tmp_path / "r", {"tool/reporters/text.py": text, ".github/ISSUE_TEMPLATE/BUG-REPORT.yml": form,
                                      "tool/options.py": "OPTIONS = {'msg-template': 'the message template'}\n"})
    issue = ("Using custom braces in message template does not work\n### Bug description\n\n"
             "On pylint 1.7 I am able to use this as my message template\n"
             "[redacted]/site-packages/tool/reporters/text.py:7: UserWarning: Don't recognize the argument\n"
             "### Configuration\n\n_No response_\n\n### Command used\n\n```shell\ntool --msg-template\n```\n"
             "### Expected behavior\n\nExpect the dictionary to print out\n")
    result = locate(repo, issue, budget=2000, on_note=lambda _t: None)
    assert result.regions[0].path == "tool/reporters/text.py"
    assert any(w.startswith("stack frame") for w in result.regions[0].why)


def test_a_frame_that_fits_many_files_or_an_installed_library_names_none(tmp_path):
    files = {f"app{i}/handlers.py": f"def handle_{i}(event):\n    return event\n" for i in range(5)}
    files["core/signals.py"] = ("import warnings\n\n\ndef connect_signal(receiver, sender=None):\n"
                                "    warnings.warn('connect_signal without sender is deprecated')\n    return receiver\n")
    files["models.py"] = "class Model:\n    pass\n"
    repo = make_repo(tmp_path / "r", files)
    issue = ("connect_signal warns about a missing sender even when a sender is given\n"
             "Calling connect_signal(receiver, sender=Model) still warns:\n\n"
             "handlers.py:2: DeprecationWarning: connect_signal without sender is deprecated\n"
             '  File "/srv/venv/lib/python3.11/site-packages/requests/models.py", line 1, in send\n')
    result = locate(repo, issue, budget=3000, on_note=lambda _t: None)
    assert result.regions[0].path == "core/signals.py"
    stacked = [r.path for r in result.regions if any(w.startswith("stack frame") for w in r.why)]
    assert stacked == []  # five handlers.py are none of them; requests' models.py is not this models.py


DJANGO_APP = {
    "shop/models.py": "from django.db import models\n\n\nclass Order(models.Model):\n"
                      "    reference = models.CharField(max_length=20)\n    total = models.IntegerField()\n",
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py":
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    operations = [\n        migrations.CreateModel(\n            name='Order',\n            fields=[\n"
        "                ('reference', models.CharField(max_length=20)),\n"
        "                ('total', models.IntegerField()),\n            ],\n        ),\n    ]\n",
    "shop/migrations/0002_order_reference.py":
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    dependencies = [('shop', '0001_initial')]\n    operations = [\n"
        "        migrations.AlterField(model_name='order', name='reference',\n"
        "                              field=models.CharField(max_length=20, unique=True)),\n    ]\n",
}


def test_numbered_migrations_yield_to_the_models_unless_the_instruction_names_one(tmp_path):
    repo = make_repo(tmp_path / "repo", DJANGO_APP)
    result = locate(repo, "Order reference max_length should be 40")
    assert result.regions[0].path == "shop/models.py"
    named = locate(repo, "0002_order_reference should not make the reference unique")
    assert named.regions[0].path == "shop/migrations/0002_order_reference.py"
