"""Grep: tracked, edited and untracked files, .gitignore, exclusions, fallbacks."""

import random
import re

from surgeon.locate import grep as grep_module
from surgeon.locate.grep import Exclusions, GrepJob
from tests.helpers import make_repo


def found(job: GrepJob) -> dict[str, list[int]]:
    return {path: [int(n) for n, _ in rows] for path, rows in job.by_file().items()}


def repo_with_files(tmp_path):
    repo = make_repo(tmp_path / "repo", {
        "a.py": "x = 1\nNeedle = 2\n", "vendor/lib.py": "needle\n", "gen.min.js": "needle\n",
        ".gitignore": "build/\n", "build/out.py": "needle\n",
    })
    (repo / "a.py").write_text("x = 1\nNeedle = 2\nneedle_again = 3\n")  # uncommitted edit
    (repo / "new.py").write_text("NEEDLE = 4\n")  # untracked
    return repo


def test_git_grep_finds_working_tree_content_case_insensitively(tmp_path):
    repo = repo_with_files(tmp_path)
    exclusions = Exclusions(suffixes=(".min.js",), dirs=("vendor",))
    for untracked in (None, ["new.py"]):
        job = GrepJob(repo, ["needle"], exclusions, "git grep", untracked=untracked)
        assert found(job) == {"a.py": [2, 3], "new.py": [1]}


def test_excluded_paths_and_no_patterns(tmp_path):
    repo = repo_with_files(tmp_path)
    job = GrepJob(repo, ["needle"], Exclusions(paths=("a.py",), suffixes=(".min.js",), dirs=("vendor",)), "git grep")
    assert found(job) == {"new.py": [1]}
    assert found(GrepJob(repo, [], Exclusions(), "git grep")) == {}


def test_a_pattern_pcre_rejects_falls_back_to_fixed_strings(tmp_path, monkeypatch):
    repo = repo_with_files(tmp_path)
    monkeypatch.setattr(grep_module, "pcre_pattern", lambda patterns: "(?i:(")
    job = GrepJob(repo, ["needle_again"], Exclusions(), "git grep")
    assert found(job) == {"a.py": [3]}
    assert job.tool == "git grep"


def test_special_characters_are_literal(tmp_path):
    repo = make_repo(tmp_path / "repo", {"a.txt": "price (USD) $5.00 [x]*\nprice USD 5000\n"})
    assert found(GrepJob(repo, ["(usd) $5.00 [x]*"], Exclusions(), "git grep")) == {"a.txt": [1]}


def test_without_pcre_many_patterns_use_one_extended_regex_with_the_same_result(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", {"a.txt": "a.b (c) one\nA+B two\nplain\n[x] three\nfour|five\n"})
    patterns = ["a.b (c)", "a+b", "[x]", "four|five", "nothing^$"]
    with_pcre = found(GrepJob(repo, patterns, Exclusions(), "git grep"))
    monkeypatch.setattr(grep_module, "_git_has_pcre", lambda root: False)
    job = GrepJob(repo, patterns, Exclusions(), "git grep")
    assert job.tool == "git grep -E"
    assert found(job) == with_pcre == {"a.txt": [1, 2, 4, 5]}


def test_strings_that_share_a_beginning_match_the_same_lines_as_fixed_strings(tmp_path, monkeypatch):
    patterns = ["url", "url_validator", "URLValidator", "u.r", "a", "ab", "abc(", "Straße", "x" * 300, "x" * 299 + "y"]
    lines = ["URL_VALIDATOR = 1", "my_urlvalidator", "u.r here", "uXr not", "ABC( call", "zz", "straße",
             "x" * 300, "x" * 299 + "y", "x" * 298, "nothing"]
    repo = make_repo(tmp_path / "repo", {"a.txt": "\n".join(lines) + "\n"})
    pcre = GrepJob(repo, patterns, Exclusions(), "git grep")
    assert pcre.tool == "git grep -P"
    monkeypatch.setattr(grep_module, "_git_has_pcre", lambda root: False)
    monkeypatch.setattr(grep_module, "MANY_PATTERNS", len(patterns))
    fixed = GrepJob(repo, patterns, Exclusions(), "git grep")
    assert fixed.tool == "git grep"
    assert found(pcre) == found(fixed) == {"a.txt": [1, 2, 3, 5, 7, 8, 9]}


def test_the_shared_beginning_pattern_matches_exactly_where_one_of_its_strings_does():
    rng = random.Random(7)
    for _ in range(300):
        words = ["".join(rng.choice("abAB.(") for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, 8))]
        factored = re.compile(grep_module.pcre_pattern(words))
        for _ in range(20):
            text = "".join(rng.choice("abAB.( ") for _ in range(rng.randint(0, 12)))
            assert bool(factored.search(text)) == any(w.lower() in text.lower() for w in words), (words, text)
