"""How much a file's hits count, by what its path says the file is: prose, a change log, a test,
the reporter's setup, a schema migration. Pure functions of the query and the path."""

from __future__ import annotations

import re
from functools import lru_cache

from surgeon.locate.chunks import query_words, stem
from surgeon.locate.query import Query

TEST_PATH = re.compile(r"(^|/)(tests?|spec|__tests__|testing)/|(^|/)test_[^/]*$|_test\.[a-z]+$|\.(test|spec)\.[jt]sx?$")
TEST_WEIGHT = 0.7  # tests matter less unless the instruction is about tests
ISSUE_TEST_FACTOR = 0.7
DOCS_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".markdown", ".ipynb")
DOCS_WEIGHT = 0.5  # prose mentions words an instruction uses without being where the change goes
# A change log mentions every feature by name; it is where a change is noted, not made.
CHANGELOG_NAME = re.compile(r"(?:^|/)(?:change(?:s|log)|history|news|release[-_ ]?notes)(?:\.[a-z]+)?$", re.IGNORECASE)
CHANGELOG_WORDS = re.compile(r"\b(?:change ?logs?|release notes?|news (?:entry|item|fragment)s?)\b", re.IGNORECASE)
CHANGELOG_WEIGHT = 0.4
# An issue's body carries its reporter's setup: the issue template's headings, versions, the
# project's configuration pasted in. Files of that kind (CI and issue templates, configuration,
# the docs folder) match it without being where the behaviour is, unless its title names them.
SETUP_DIRS = re.compile(r"(?:\.github|\.circleci|\.ci|docs?)/")
SETUP_SUFFIXES = (".toml", ".cfg", ".ini", ".yml", ".yaml", ".json", ".xml", ".lock", ".in")
SETUP_WEIGHT = 0.5
# A numbered schema migration (Django's app/migrations/0002_name.py, Alembic's versions/, Rails'
# db/migrate/) records the models as they were when it was made: it spells out every model and
# field an instruction about them names, while the change goes to the models or to the migration
# framework. It counts fully only when the instruction names it.
MIGRATION_PATH = re.compile(r"(?:^|/)migrations/\d{4}_[^/]+\.py$|(?:^|/)(?:alembic|migrations)/versions/[^/]+\.py$"
                            r"|(?:^|/)db/migrate/\d+_[^/]+\.rb$")
MIGRATION_WEIGHT = 0.3


def path_factor(query: Query, path: str) -> float:
    """Prose documents, change logs, tests, setup files and migrations (unless the instruction is
    about them) count less."""
    factor = DOCS_WEIGHT if path.lower().endswith(DOCS_SUFFIXES) else 1.0
    if CHANGELOG_NAME.search(path) and not CHANGELOG_WORDS.search(query.title or query.instruction):
        factor *= CHANGELOG_WEIGHT
    if TEST_PATH.search(path) and not query.about_tests:
        # an issue's steps to reproduce read like a test: tests weigh less again in an issue
        factor *= TEST_WEIGHT * (ISSUE_TEST_FACTOR if query.title is not None else 1.0)
    if query.title is not None and _setup_file(path) and not _title_names(query.title, path):
        factor *= SETUP_WEIGHT
    if MIGRATION_PATH.search(path) and not _names_file(query.title or query.instruction, path):
        factor *= MIGRATION_WEIGHT
    return factor


def _setup_file(path: str) -> bool:
    low = path.lower()
    return bool(SETUP_DIRS.match(low)) or low.endswith(SETUP_SUFFIXES)


def _names_file(text: str, path: str) -> bool:
    """The text names the file by its name before the extension (0002_alter_user_email, pre-commit-config)."""
    return path.lower().rpartition("/")[2].lstrip(".").partition(".")[0] in _title_words(text)[0]


def _title_names(title: str, path: str) -> bool:
    """The title names the file (its name before the extension), its kind (yaml) or one of its
    folders (a CI workflow, the docs) with every word of the folder's name: a "message template"
    is not the ISSUE_TEMPLATE folder."""
    said, stems = _title_words(title)
    folders, _, name = path.lower().rpartition("/")
    suffix = name.lstrip(".").partition(".")[2]
    kinds = {suffix, *_KIND_NAMES.get(suffix, ())} - {""}
    return (_names_file(title, path) or not kinds.isdisjoint(said)
            or any((words := {stem(w) for w in re.findall(r"[a-z0-9]+", folder)}) and words <= stems
                   for folder in folders.split("/")))


_KIND_NAMES = {"yml": ("yaml",), "yaml": ("yml",), "cfg": ("config",), "ini": ("config",)}


@lru_cache(maxsize=64)
def _title_words(title: str) -> tuple[frozenset[str], frozenset[str]]:
    """A title's words as written (pre-commit-config whole, and each part), and its words' stems."""
    low = title.lower()
    whole = set(re.findall(r"[a-z0-9]+(?:[-_.][a-z0-9]+)*", low)) | set(re.findall(r"[a-z0-9]+", low))
    return frozenset(w for w in whole if len(w) >= 2 and w != "in"), frozenset(stem(w) for w in query_words([title]))
