"""The names guard on Python diffs: real repositories in temporary folders, a real venv for the
project's environment (asked through its own interpreter), diffs placed by the real engine."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from surgeon.validate import ApplyOptions
from surgeon.validate.names import NamesGuard, NamesReport
from surgeon.validate.names.environment import PythonEnvironment, find_interpreter
from surgeon.validate.patch import patch_working_tree
from tests.helpers import make_repo

CORE = '''import os
import json


class Client:
    """A client."""

    def __init__(self, base, timeout=5):
        self.base = base
        self.timeout = timeout

    def get(self, path):
        return os.path.join(self.base, path)

    def post(self, path, data, *, retries=0):
        return json.dumps(data)


def helper(a, b=1):
    return a + b
'''

APP = '''from pkg.core import Client, helper


def run():
    client = Client("x")
    return client.get("y")
'''


def make_venv(repo: Path, files: dict[str, str]) -> Path:
    """A real venv at repo/.venv with `files` written into its site-packages (an installed package)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    site = next((repo / ".venv" / "lib").glob("python*/site-packages"))
    for relative, text in files.items():
        (site / relative).parent.mkdir(parents=True, exist_ok=True)
        (site / relative).write_text(text)
    return site


def project(tmp_path: Path, files: dict[str, str] | None = None, installed: dict[str, str] | None = None) -> Path:
    repo = make_repo(tmp_path / "repo", {"pkg/__init__.py": "", "pkg/core.py": CORE, "pkg/app.py": APP, **(files or {})})
    make_venv(repo, installed or {})
    return repo


def count_asks(monkeypatch) -> list[list[str]]:
    """The modules of each question put to the project's interpreter, from here on."""
    asked: list[list[str]] = []
    original = PythonEnvironment._ask

    def counting(self: PythonEnvironment, modules: list[str], distributions: bool) -> dict[str, object]:
        asked.append(modules)
        return original(self, modules, distributions)

    monkeypatch.setattr(PythonEnvironment, "_ask", counting)
    return asked


def judge(repo: Path, diff: str, guard: NamesGuard | None = None) -> NamesReport:
    result = patch_working_tree(repo, diff, ApplyOptions())
    assert result.ok, result.refusals
    return (guard or NamesGuard(repo)).check(result.changes)


def app_diff(*added: str, at: str = '    client = Client("x")') -> str:
    """A diff adding `added` after the line `at` of pkg/app.py."""
    lines = APP.splitlines()
    index = lines.index(at) + 1
    new = lines[:index] + list(added) + lines[index:]
    body = [f" {line}" for line in lines[:index]] + [f"+{line}" for line in added] + [f" {line}" for line in lines[index:]]
    return (f"--- a/pkg/app.py\n+++ b/pkg/app.py\n@@ -1,{len(lines)} +1,{len(new)} @@\n" + "\n".join(body) + "\n")


def reasons(report: NamesReport) -> list[str]:
    return [r.reason for r in report.refusals]


def test_the_venv_is_the_project_interpreter(tmp_path):
    repo = project(tmp_path)
    assert find_interpreter(repo) == repo / ".venv" / "bin" / "python"


def test_an_invented_attribute_of_a_standard_module_is_refused_with_near_names(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff("    import os", '    os.path.joinpath("a", "b")'))
    assert len(report.refusals) == 1
    refusal = report.refusals[0]
    assert (refusal.path, refusal.hunk, refusal.line) == ("pkg/app.py", 1, 7)
    assert refusal.reason.startswith("`os.path.joinpath` does not exist")
    assert "`join`" in refusal.reason
    assert report.unknown == 1 and report.checked >= 2


def test_a_real_attribute_passes(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff("    import os", '    os.path.join("a", "b")', "    os.sep"))
    assert report.refusals == () and report.checked >= 3


def test_an_invented_name_from_a_repository_module_is_refused(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff("    from pkg.core import Clinet"))
    assert reasons(report) == ["`from pkg.core import Clinet`: module `pkg.core` has no `Clinet`; it has `Client`, "
                               "`helper`, `json`, `os`. Import a name that exists, or define it in the same diff"]


def test_a_module_that_exists_nowhere_is_refused_and_an_installed_one_passes(tmp_path):
    repo = project(tmp_path, installed={"tinyhttp/__init__.py": "def fetch(url):\n    return url\n",
                                        "tinyhttp/retry.py": "class Retry:\n    pass\n"})
    report = judge(repo, app_diff("    import tinyhttp", "    import tinyhttp.retry", "    from tinyhttp import fetch",
                                  "    import tinyhtp"))
    assert len(report.refusals) == 1
    assert report.refusals[0].reason.startswith("`import tinyhtp`: there is no module `tinyhtp` in the repository or")
    assert str(repo / ".venv" / "bin" / "python") in report.refusals[0].reason


def test_an_invented_function_of_an_installed_package_is_refused(tmp_path):
    repo = project(tmp_path, installed={"tinyhttp/__init__.py": "from .api import fetch, post\n",
                                        "tinyhttp/api.py": "def fetch(url):\n    pass\n\n\ndef post(url):\n    pass\n"})
    report = judge(repo, app_diff("    import tinyhttp", '    tinyhttp.fetch_json("u")', '    tinyhttp.fetch("u")'))
    assert reasons(report) == ["`tinyhttp.fetch_json` does not exist: module `tinyhttp` has no attribute `fetch_json`; "
                               "it has `fetch`, `post`. Use one of those, or define `fetch_json` in the same diff"]


def test_an_invented_method_on_an_instance_of_a_repository_class_is_refused(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff('    client.get_json("z")', '    client.post("p", {})', "    client.timeout"))
    assert len(report.refusals) == 1
    assert report.refusals[0].reason.startswith(
        "`client.get_json` does not exist: `client` (a `pkg.core.Client`) has no attribute `get_json`; it has `get`")


def test_an_invented_method_on_self_is_refused_unless_the_repository_defines_it_somewhere(tmp_path):
    core = CORE.replace("        return json.dumps(data)\n", "        return json.dumps(data)\n\n    def put(self):\n"
                        "        return self.base\n")
    repo = project(tmp_path, {"pkg/core.py": core, "pkg/sub.py": "from pkg.core import Client\n\n\nclass Sub(Client):\n"
                              "    def retry_policy(self):\n        return 1\n"})
    diff = ("--- a/pkg/core.py\n+++ b/pkg/core.py\n@@ -18,2 +18,4 @@\n     def put(self):\n"
            "+        self.validate_base()\n+        self.retry_policy()\n         return self.base\n")
    report = judge(repo, diff)
    assert len(report.refusals) == 1 and report.refusals[0].reason.startswith("`self.validate_base` does not exist")
    assert report.reasons == {"defined elsewhere in the repository (a subclass or caller may set it)": 1}


def test_calls_that_do_not_fit_a_repository_function_are_refused(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff("    helper(1, 2, 3)", '    Client("a", timeout=3, retry=2)', "    helper()",
                                  "    helper(1, b=2)", '    client.post("p", {}, retries=1)'))
    assert reasons(report) == [
        "`helper(1, 2, 3)`: `helper()` (line 19 of pkg/core.py) takes 2 positional arguments (a, b) but the call gives 3",
        "`Client('a', timeout=3, retry=2)`: `Client.__init__()` (line 8 of pkg/core.py) has no parameter `retry`; its "
        "parameters are `base`, `timeout`",
        "`helper()`: `helper()` (line 19 of pkg/core.py) needs `a`, which the call does not give",
    ]


def test_a_decorated_function_is_not_judged_for_arity(tmp_path):
    repo = project(tmp_path, {"pkg/deco.py": "import functools\n\n\n@functools.lru_cache\ndef cached(a):\n    return a\n"})
    report = judge(repo, app_diff("    from pkg.deco import cached", "    cached(1, 2, 3)"))
    assert report.refusals == ()


def test_names_the_diff_defines_in_another_file_exist(tmp_path):
    repo = project(tmp_path)
    diff = ("--- a/pkg/core.py\n+++ b/pkg/core.py\n@@ -19,2 +19,6 @@\n \n def helper(a, b=1):\n     return a + b\n+\n+\n"
            "+def shout(text):\n+    return text.upper()\n" + app_diff("    from pkg.core import shout", '    shout("x")'))
    report = judge(repo, diff)
    assert report.refusals == () and report.checked >= 2


def test_what_the_old_file_already_used_is_not_the_diffs_fault(tmp_path):
    app = APP.replace('    return client.get("y")', '    client.get_json("old")\n    return client.get("y")')
    repo = project(tmp_path, {"pkg/app.py": app})
    diff = ("--- a/pkg/app.py\n+++ b/pkg/app.py\n@@ -5,3 +5,4 @@\n     client = Client(\"x\")\n"
            "     client.get_json(\"old\")\n+    client.get_json(\"again\")\n     return client.get(\"y\")\n")
    assert judge(repo, diff).refusals == ()


def test_what_cannot_be_known_is_skipped_and_counted(tmp_path):
    repo = project(tmp_path, {"pkg/lazy.py": "def __getattr__(name):\n    return name\n",
                              "pkg/star.py": "from nowhere_at_all import *\n"})
    report = judge(repo, app_diff("    from pkg import lazy, star", "    lazy.anything", "    star.whatever",
                                  "    try:", "        import optional_thing", "    except ImportError:",
                                  "        optional_thing = None"))
    assert report.refusals == ()
    assert report.skipped == 3
    assert set(report.reasons) == {"`pkg.lazy`: it defines a module __getattr__",
                                   "`pkg.star` star-imports `nowhere_at_all`, which cannot be read",
                                   "an optional import (inside try/except ImportError)"}


def test_without_an_environment_installed_modules_are_skipped(tmp_path):
    repo = project(tmp_path)
    guard = NamesGuard(repo, PythonEnvironment(repo, tmp_path / "no-such-python"))
    report = judge(repo, app_diff("    import requests", "    requests.get_jsonn"), guard)
    assert report.refusals == () and report.skipped == 1


def test_a_never_sent_module_is_never_quoted(tmp_path):
    repo = project(tmp_path, {".surgeonignore": "pkg/private.py\n", "pkg/private.py": "TOKEN_NAME = 'x'\n"})
    report = judge(repo, app_diff("    from pkg.private import SECRET_THING"))
    assert report.refusals == ()
    assert report.reasons == {"`pkg.private` is a file that is never sent to a model": 1}


def test_the_environment_is_asked_once_per_run(tmp_path, monkeypatch):
    repo = project(tmp_path, installed={"tinyhttp/__init__.py": "def fetch(url):\n    pass\n"})
    guard = NamesGuard(repo)
    asked = count_asks(monkeypatch)
    diff = app_diff("    import tinyhttp", "    import json", "    tinyhttp.fetch('u')", "    json.dumps(1)")
    assert judge(repo, diff, guard).refusals == ()
    assert judge(repo, diff, guard).refusals == ()
    assert len(asked) == 1


def test_imports_for_type_checkers_only_are_skipped_when_missing(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff("    from typing import TYPE_CHECKING", "    if TYPE_CHECKING:",
                                  "        from _typeshed import SupportsRead", "        from pkg.core import Missing1"))
    assert report.refusals == ()
    assert report.reasons == {"an import for type checkers only (under if TYPE_CHECKING)": 2}


def test_overload_stubs_leave_the_runtime_definition_to_judge_calls_by(tmp_path):
    overloads = ("import typing\n\n\n@typing.overload\ndef pick(a: int) -> int: ...\n@typing.overload\n"
                 "def pick(a: str) -> str: ...\ndef pick(a):\n    return a\n")
    repo = project(tmp_path, {"pkg/over.py": overloads})
    report = judge(repo, app_diff("    from pkg.over import pick", "    pick(1, 2)", "    pick('x')"))
    assert [r.reason.split(":")[0] for r in report.refusals] == ["`pick(1, 2)`"]


def test_a_module_getattr_that_serves_a_few_names_leaves_the_others_judged(tmp_path):
    shim = ("def real():\n    pass\n\n\ndef __getattr__(name):\n    if name == 'Old':\n        return real\n"
            "    raise AttributeError(name)\n")
    repo = project(tmp_path, {"pkg/shim.py": shim})
    report = judge(repo, app_diff("    from pkg import shim", "    shim.Old", "    shim.real", "    shim.invented"))
    assert [r.reason.split(" does")[0] for r in report.refusals] == ["`shim.invented`"]


def test_names_a_call_injects_into_the_module_are_not_judged(tmp_path):
    enum_like = "import enum\n\n\nclass Flags(enum.IntEnum):\n    A = 1\n\n\nFlags._convert_('Flags', __name__, str)\n"
    repo = project(tmp_path, {"pkg/flags.py": enum_like})
    report = judge(repo, app_diff("    from pkg import flags", "    flags.VERIFY_SOMETHING"))
    assert report.refusals == () and report.skipped == 1


def test_an_import_for_another_python_version_is_skipped_when_missing(tmp_path):
    repo = project(tmp_path)
    report = judge(repo, app_diff("    import sys", "    if sys.version_info >= (3, 99):", "        from typing import Future99",
                                  "    else:", "        from typing import Any"))
    assert report.refusals == ()
    assert report.reasons == {"an import for another Python version (under if sys.version_info ...)": 1}


def test_names_a_class_decorator_writes_into_its_module_are_not_judged(tmp_path):
    # re.IGNORECASE: re's RegexFlag members reach the module through @enum.global_enum
    repo = project(tmp_path)
    report = judge(repo, app_diff("    import re", '    re.compile("x", re.IGNORECASE | re.I)'))
    assert report.refusals == ()
    exporting = ("import enum\n\n\n@enum.global_enum\nclass Mode(enum.IntFlag):\n    FAST = 1\n")
    repo = project(tmp_path / "second", {"pkg/mode.py": exporting})
    report = judge(repo, app_diff("    from pkg import mode", "    mode.FAST"))
    assert report.refusals == () and report.skipped == 1


def test_a_name_another_platform_provides_is_not_judged(tmp_path):
    # os.startfile exists on Windows only (os: `from nt import *` in a branch that does not run here)
    repo = project(tmp_path)
    report = judge(repo, app_diff("    import os", '    os.startfile("report.pdf")'))
    assert report.refusals == () and report.skipped == 1


def test_asked_ahead_the_shown_files_imports_leave_nothing_to_ask_when_the_diff_comes(tmp_path, monkeypatch):
    # the edit asks while the model works: the project's interpreter then runs beside the SDK's import
    repo = project(tmp_path, installed={"tinyhttp/__init__.py": "def fetch(url):\n    pass\n"},
                   files={"pkg/net.py": "import tinyhttp\nimport json\n\n\ndef get(u):\n    return tinyhttp.fetch(u)\n"})
    guard = NamesGuard(repo)
    asked = count_asks(monkeypatch)
    guard.warm(["pkg/app.py", "pkg/net.py", "README.md", "pkg/gone.py"])  # a non-Python and a missing file are passed over
    assert len(asked) == 1 and {"pkg", "tinyhttp", "json"} <= set(asked[0])
    assert judge(repo, app_diff("    import tinyhttp", "    tinyhttp.fetch('u')"), guard).refusals == ()
    assert len(asked) == 1
    assert judge(repo, app_diff("    tinyhttp.nope('u')", "    import tinyhttp"), guard).refusals != ()
    assert len(asked) == 1


def test_a_warmed_file_still_has_what_an_added_line_imports_asked_about(tmp_path, monkeypatch):
    # warm() asked about the file's old imports; the check skips walking a warmed file for more only
    # when no added line can import anything
    repo = project(tmp_path, installed={"tinyhttp/__init__.py": "def fetch(url):\n    pass\n"})
    guard = NamesGuard(repo)
    guard.warm(["pkg/app.py"])
    asked = count_asks(monkeypatch)
    assert reasons(judge(repo, app_diff("    from tinyhttp import nope"), guard)) != []
    # two new modules on added lines: asked about together, before the checker needs either
    asked.clear()
    found = reasons(judge(repo, app_diff("    import nosuch_a, nosuch_b", "    nosuch_a.go(nosuch_b)"), guard))
    assert any("nosuch_a" in r for r in found) and any("nosuch_b" in r for r in found)
    assert len(asked) == 1 and {"nosuch_a", "nosuch_b"} <= set(asked[0])
    assert judge(repo, app_diff("    from tinyhttp import fetch"), guard).refusals == ()


def test_warming_keeps_the_old_files_uses_and_stops_when_a_check_begins(tmp_path, monkeypatch):
    from surgeon.validate.names.scopes import OldUses

    repo = project(tmp_path, files={"pkg/a.py": "import os\n", "pkg/b.py": "import json\n"})
    guard = NamesGuard(repo)
    counted: list[str] = []
    keys = OldUses._tree_keys

    def tree_keys(self: OldUses) -> set[tuple[object, ...]]:
        if self._keys is None:  # worked out now (later calls are answered from what it kept)
            counted.append(self.text)
        return keys(self)

    monkeypatch.setattr(OldUses, "_tree_keys", tree_keys)
    guard.warm(["pkg/app.py", "pkg/a.py"])
    assert counted == [APP, "import os\n"]  # each old file's uses, ahead of any diff
    # a use the old file had is not the diff's doing: judged from what warm() kept, not parsed again
    report = judge(repo, app_diff('    client = Client("x")'), guard)
    assert report.refusals == () and counted.count(APP) == 1

    def hurried(self: OldUses) -> set[tuple[object, ...]]:
        guard.hurry()  # a check begins while the first file is under way: warming ends after it
        return tree_keys(self)

    counted.clear()
    monkeypatch.setattr(OldUses, "_tree_keys", hurried)
    guard.warm(["pkg/b.py", "pkg/__init__.py", "pkg/core.py"])
    assert counted == ["import json\n"]


def test_the_projects_interpreter_starts_once_answers_every_question_and_starts_again_when_it_ended(tmp_path, monkeypatch):
    import surgeon.validate.names.environment as environment

    repo = project(tmp_path, installed={"tinyhttp/__init__.py": "def fetch(url):\n    pass\n"})
    started: list[object] = []
    probe = environment.Probe

    def counting(*args: object, **kwargs: object) -> environment.Probe:
        started.append(probe(*args, **kwargs))  # type: ignore[arg-type]
        return started[-1]  # type: ignore[return-value]

    monkeypatch.setattr(environment, "Probe", counting)
    env = PythonEnvironment(repo)
    env.prefetch(["tinyhttp", "json"])
    env.prefetch(["nosuch_mod"])
    assert env.spec("tinyhttp") is not None and env.spec("nosuch_mod") is None
    assert len(started) == 1 and env.available
    started[0].process.kill()  # ended (as it does after IDLE seconds without a question)
    started[0].process.wait()
    env.prefetch(["csv"])
    assert len(started) == 2 and env.available and env.spec("csv") is not None
    env.close()
    assert started[1].process.poll() is not None  # closed: the interpreter has ended
    monkeypatch.setattr(environment, "IDLE", 0.2)  # left without a question, it ends by itself
    env.prefetch(["zlib"])
    assert started[2].process.wait(timeout=10) == 0
    env.prefetch(["zipfile"])
    assert len(started) == 4 and env.available and env.spec("zipfile") is not None


def test_an_interpreter_that_does_not_answer_in_time_leaves_the_names_unjudged(tmp_path, monkeypatch):
    import surgeon.validate.names.environment as environment

    repo = project(tmp_path)
    monkeypatch.setattr(environment, "TIMEOUT", 0.5)
    monkeypatch.setattr(environment, "_PROBE", "import time\ntime.sleep(30)\n")
    env = PythonEnvironment(repo)
    env.prefetch(["json"])
    assert not env.available and "could not be asked" in (env.problem or "")
