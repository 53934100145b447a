"""The names guard on dependency declarations: a new requirement or package.json dependency must
name a package a lock file, another declaration or the installed environment knows."""

from __future__ import annotations

from surgeon.validate.names.deps import dependencies, new_dependencies
from tests.helpers import make_repo
from tests.validate.test_names_python import judge, make_venv

PYPROJECT = '''[project]
name = "app"
dependencies = [
    "requests>=2",
]

[project.optional-dependencies]
dev = ["pytest>=8"]
'''

POETRY_LOCK = '''[[package]]
name = "requests"
version = "2.32.0"

[[package]]
name = "Flask-Login"
version = "0.6.3"
'''


def test_dependencies_are_read_with_their_lines():
    found = dependencies("pyproject.toml", PYPROJECT)
    assert [(d.line, d.name) for d in found] == [(4, "requests"), (8, "pytest")]
    text = "# tools\nrequests==2.0  # http\n-r base.txt\n-e .\nflask[async]>=3 ; python_version > '3.8'\n"
    assert [(d.line, d.name) for d in dependencies("requirements-dev.txt", text)] == [(2, "requests"), (5, "flask")]
    assert new_dependencies("requirements.txt", "a\nb\n", {2}, "b\n") == []


def test_a_made_up_requirement_is_refused_and_locked_or_installed_ones_pass(tmp_path):
    repo = make_repo(tmp_path / "app", {"pyproject.toml": PYPROJECT, "poetry.lock": POETRY_LOCK,
                                        "requirements.txt": "requests\n"})
    make_venv(repo, {"tinyhttp-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinyhttp\nVersion: 1.0\n",
                     "tinyhttp/__init__.py": ""})
    diff = ("--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1,5 @@\n requests\n+flask_login>=0.6\n"
            "+tinyhttp==1.0\n+pytest\n+requestz-toolbelt>=1\n")
    report = judge(repo, diff)
    assert [(r.path, r.line) for r in report.refusals] == [("requirements.txt", 5)]
    assert report.refusals[0].reason.startswith("the new dependency `requestz-toolbelt` is in neither")
    assert "supply-chain" in report.refusals[0].reason
    assert report.checked == 3


def test_a_new_pyproject_dependency_is_judged(tmp_path):
    repo = make_repo(tmp_path / "app", {"pyproject.toml": PYPROJECT, "uv.lock": POETRY_LOCK})
    diff = ('--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ -3,3 +3,4 @@\n dependencies = [\n     "requests>=2",\n'
            '+    "fastjsonschemaa>=2",\n ]\n')
    report = judge(repo, diff)
    assert [r.line for r in report.refusals] == [5]


def test_a_new_package_json_dependency_is_judged_against_the_lock(tmp_path):
    lock = '{"lockfileVersion": 3, "packages": {"": {}, "node_modules/lodash": {}, "node_modules/@types/node": {}}}\n'
    repo = make_repo(tmp_path / "web", {"package.json": '{\n  "dependencies": {\n    "react": "^18"\n  }\n}\n',
                                        "package-lock.json": lock})
    diff = ('--- a/package.json\n+++ b/package.json\n@@ -1,5 +1,7 @@\n {\n   "dependencies": {\n-    "react": "^18"\n'
            '+    "react": "^18",\n+    "lodash": "^4",\n+    "reakt-dom-utils": "^1"\n   }\n }\n')
    report = judge(repo, diff)
    assert [r.line for r in report.refusals] == [5]
    assert "`reakt-dom-utils`" in report.refusals[0].reason


def test_without_a_lock_or_an_environment_dependencies_are_skipped(tmp_path):
    repo = make_repo(tmp_path / "web", {"package.json": '{\n  "dependencies": {\n    "react": "^18"\n  }\n}\n'})
    diff = ('--- a/package.json\n+++ b/package.json\n@@ -1,5 +1,6 @@\n {\n   "dependencies": {\n-    "react": "^18"\n'
            '+    "react": "^18",\n+    "anything": "^1"\n   }\n }\n')
    report = judge(repo, diff)
    assert report.refusals == () and report.skipped == 1


def test_packages_setup_py_declares_are_known(tmp_path):
    setup = ('from setuptools import setup\n\nsetup(name="app", install_requires=["requests>=2"],\n'
             '      extras_require={"socks": ["PySocks>=1.5"]})\n')
    repo = make_repo(tmp_path / "app", {"setup.py": setup, "requirements.txt": "requests\n", "poetry.lock": POETRY_LOCK})
    diff = "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1,3 @@\n requests\n+pysocks\n+made-up-thing\n"
    report = judge(repo, diff)
    assert [r.line for r in report.refusals] == [3]


def test_a_lock_file_the_same_diff_writes_counts(tmp_path):
    repo = make_repo(tmp_path / "app", {"pyproject.toml": PYPROJECT, "uv.lock": POETRY_LOCK})
    diff = ('--- a/pyproject.toml\n+++ b/pyproject.toml\n@@ -3,3 +3,4 @@\n dependencies = [\n     "requests>=2",\n'
            '+    "zzz-fresh-package>=23",\n ]\n'
            '--- a/uv.lock\n+++ b/uv.lock\n@@ -6,2 +6,6 @@\n name = "Flask-Login"\n version = "0.6.3"\n+\n'
            '+[[package]]\n+name = "zzz-fresh-package"\n+version = "23.1.0"\n')
    assert judge(repo, diff).refusals == ()
