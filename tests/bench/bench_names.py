"""Benchmark: the names guard (surgeon/validate/names/) on real code.

Run: .venv/bin/python tests/bench/bench_names.py GITDIR [GITDIR ...] [--python PY] [--commits N] [--seed N]

--python is the projects' environment: an interpreter that has their dependencies, e.g. a venv made
with `python -m venv /tmp/benchenv && /tmp/benchenv/bin/pip install requests flask httpx click pytest
trustme pysocks` (the figures in the issue's report were measured so, on psf+requests, pallets+flask,
encode+httpx, pallets+click and expressjs+express, --commits 40).

Each GITDIR is a git repository (bare, e.g. the fetched mirrors /work/.mirror/psf+requests/repo).
A scratch clone of it is checked out at each commit's parent in a temporary folder.

- Negatives, real correct edits: the last N commits that change .py/.js files, each judged as the
  diff from its parent (the repository checked out at the parent, the commit's new contents laid
  over it). Any refusal is a false positive.
- Positives, the names models invent, injected into real functions of the checked-out code: an
  attribute of a module the file imports, a name imported from such a module, a method on `self`,
  a package that does not exist, a call to a repository function with an extra argument, and for
  JavaScript a relative file, a named export or a package that does not exist. Every invented name
  is confirmed absent by an oracle that does not share the guard's code: Python imports the module
  in a subprocess (--python, the project's environment) and asks getattr / inspect.signature; for
  JavaScript, the file system and package.json.
- Controls: the same templates with a real name (from the same oracle). A refusal is a false positive.

Prints precision and recall (overall and per kind), the skipped share, and the guard's time per
diff with warm caches (median, p95, and for diffs of 40-60 added lines).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from surgeon.diff.types import FileChange  # noqa: E402
from surgeon.validate.names import NamesGuard  # noqa: E402
from surgeon.validate.names.environment import PythonEnvironment  # noqa: E402

SUFFIXES = ("_json", "_all", "_async", "_safe", "_or_none", "_many", "s", "_v2", "_raw")
PREFIXES = ("get_", "async_", "safe_", "try_", "fetch_", "is_")
FAKE_PACKAGES = ("requests_retry_session", "flask_jsonschema_validator", "httpx_oauth2_client", "click_prompt_toolkit",
                 "pyjson5_fast", "fastjsonify", "urllib4", "aiohttp_requests_compat")
FAKE_NPM = ("express-body-validator", "express-async-router", "lodash-deepmerge", "node-fetch-retry-plus")

# Runs in the project's interpreter with the checkout first on sys.path: does each dotted name exist?
ORACLE = r"""
import importlib, inspect, json, sys
sys.path.insert(0, sys.argv[1])
out = []
for item in json.load(sys.stdin):
    try:
        obj = importlib.import_module(item["module"])
        for part in item.get("path", []):
            obj = getattr(obj, part)
        if item.get("call") is not None:
            try:
                inspect.signature(obj).bind(*range(item["call"]))
                out.append("fits")
            except TypeError:
                out.append("misfit")
            except ValueError:
                out.append("error")
        else:
            out.append("yes")
    except AttributeError:
        out.append("no")
    except ModuleNotFoundError as e:
        out.append("no" if item.get("missing_ok") and e.name == item["module"] else "error")
    except BaseException:
        out.append("error")
print(json.dumps(out))
"""


@dataclass
class Case:
    kind: str
    change: FileChange
    line: int | None  # the injected line (positives), None for negatives
    positive: bool


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True).stdout.decode("utf-8", "replace")


def added_lines(old: str | None, new: str) -> tuple[int, ...]:
    a, b = (old or "").splitlines(), new.splitlines()
    found: list[int] = []
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            found.extend(range(j1 + 1, j2 + 1))
    return tuple(found)


def change(path: str, old: str | None, new: str) -> FileChange:
    added = added_lines(old, new)
    return FileChange(path, None, None if old is None else old.encode(), new.encode(), None, None, len(added), 0, added)


def oracle(python: str, root: Path, items: list[dict[str, object]]) -> list[str]:
    if not items:
        return []
    done = subprocess.run([python, "-c", ORACLE, str(root)], input=json.dumps(items), capture_output=True, text=True,
                          timeout=300, cwd=root)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return ["error"] * len(items)


def module_name(root: Path, path: str) -> str | None:
    parts = path[:-3].split("/")
    for base in ("", "src/"):
        if path.startswith(base):
            rest = path[len(base):][:-3].split("/")
            if (root / base / rest[0] / "__init__.py").is_file() and all(
                    (root / base / "/".join(rest[:i + 1]) / "__init__.py").is_file() for i in range(len(rest) - 1)):
                return ".".join(p for p in rest if p != "__init__")
    return None if len(parts) > 1 else parts[0]


def mutations(name: str, rng: random.Random) -> list[str]:
    options = [name + s for s in SUFFIXES] + [p + name for p in PREFIXES if not name.startswith(p)]
    if "_" in name:
        options.append(name.replace("_", ""))
    rng.shuffle(options)
    return options[:4]


def insert_at_body(text: str, func: ast.FunctionDef | ast.AsyncFunctionDef, statement: str) -> tuple[str, int] | None:
    lines = text.splitlines(keepends=True)
    first = func.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and len(func.body) > 1:
        first = func.body[1]
    if first.lineno == func.lineno:  # def f(): ... on one line
        return None
    indent = re.match(r"\s*", lines[first.lineno - 1]).group(0)  # type: ignore[union-attr]
    if not indent:
        return None
    at = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))]) - 1
    lines.insert(at, f"{indent}{statement}\n")
    return "".join(lines), at + 1


def insert_import(text: str, tree: ast.Module, statement: str) -> tuple[str, int]:
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    at = (imports[-1].end_lineno or imports[-1].lineno) if imports else 0
    lines = text.splitlines(keepends=True)
    lines.insert(at, statement + "\n")
    return "".join(lines), at + 1


def python_positives(root: Path, python: str, rng: random.Random, per_kind: int) -> tuple[list[Case], list[Case]]:
    """Injected invented names (confirmed absent by the oracle) and the same templates with real names."""
    files = [p for p in git(root, "ls-files", "*.py").split("\n") if p and not p.startswith(("docs/", "examples/"))]
    rng.shuffle(files)
    proposals: list[tuple[str, str, str, dict[str, object], str, bool]] = []  # kind, path, stmt, oracle item, where
    for path in files[:120]:
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        me = module_name(root, path)
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.body]
        methods = [f for c in tree.body if isinstance(c, ast.ClassDef) for f in c.body
                   if isinstance(f, ast.FunctionDef) and f.args.args and f.args.args[0].arg == "self" and not f.decorator_list]
        modules = [a.name for n in tree.body if isinstance(n, ast.Import) for a in n.names if not a.asname]
        froms = [(n.module, a.name) for n in tree.body if isinstance(n, ast.ImportFrom) and n.module and not n.level
                 for a in n.names if a.name != "*" and not a.asname]
        if functions and modules:
            module = rng.choice(modules)
            members = [n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                       and n.value.id == module.split(".")[0]] or ["get"]
            real = rng.choice(members)
            for fake in mutations(real, rng)[:1]:
                proposals.append(("module attribute", path, f"_probe = {module}.{fake}",
                                  {"module": module, "path": [fake]}, "body", True))
            proposals.append(("module attribute", path, f"_probe = {module}.{real}", {"module": module, "path": [real]},
                              "body", False))
        if froms:
            source, name = rng.choice(froms)
            for fake in mutations(name, rng)[:1]:
                proposals.append(("imported name", path, f"from {source} import {fake}",
                                  {"module": source, "path": [fake]}, "import", True))
        if methods and me:
            method = rng.choice(methods)
            klass = next(c for c in tree.body if isinstance(c, ast.ClassDef) and method in c.body)
            siblings = [f.name for f in klass.body if isinstance(f, ast.FunctionDef) and not f.name.startswith("__")]
            if siblings:
                fake = mutations(rng.choice(siblings), rng)[0]
                if not git_grep(root, fake):
                    proposals.append(("method on self", path, f"self.{fake}()",
                                      {"module": me, "path": [klass.name, fake]}, f"method:{method.name}", True))
        if me:
            plain = [n for n in tree.body if isinstance(n, ast.FunctionDef) and not n.decorator_list
                     and not n.args.vararg and not n.args.kwonlyargs and not n.name.startswith("_")]
            if plain and functions:
                target = rng.choice(plain)
                count = len(target.args.args) + 1
                call = f"{target.name}({', '.join(['None'] * count)})"
                proposals.append(("call arity", path, call, {"module": me, "path": [target.name], "call": count},
                                  "body", True))
        if rng.random() < 0.35 and functions:
            fake = rng.choice(FAKE_PACKAGES)
            proposals.append(("made-up package", path, f"import {fake}", {"module": fake, "missing_ok": True},
                              "import", True))
    verdicts = oracle(python, root, [p[3] for p in proposals])
    positives: list[Case] = []
    controls: list[Case] = []
    taken: Counter[str] = Counter()
    for (kind, path, statement, _item, where, invented), verdict in zip(proposals, verdicts, strict=True):
        if verdict == "error" or (invented and verdict not in ("no", "misfit")) or (not invented and verdict != "yes"):
            continue
        if taken[kind + str(invented)] >= per_kind:
            continue
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        tree = ast.parse(text)
        if where == "import":
            new, line = insert_import(text, tree, statement)
        else:
            wanted = where.split(":", 1)[1] if where.startswith("method:") else None
            funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.body
                     and (wanted is None or n.name == wanted)]
            placed = insert_at_body(text, funcs[0], statement) if funcs else None
            if placed is None:
                continue
            new, line = placed
        taken[kind + str(invented)] += 1
        (positives if invented else controls).append(Case(kind, change(path, text, new), line, invented))
    return positives, controls


def git_grep(root: Path, word: str) -> bool:
    return subprocess.run(["git", "-C", str(root), "grep", "-q", "-w", "-F", "-e", word], capture_output=True).returncode == 0


def js_positives(root: Path, rng: random.Random, per_kind: int) -> list[Case]:
    files = [p for p in git(root, "ls-files", "*.js").split("\n") if p.startswith(("lib/", "index.js"))]
    cases: list[Case] = []
    for path in files:
        text = (root / path).read_text(encoding="utf-8", errors="replace")
        requires = re.findall(r"require\('(\./[^']+)'\)", text)
        lines = text.splitlines(keepends=True)
        at = max((i for i, line in enumerate(lines[:60]) if re.match(r"(var|const|let) \w+ = require\(", line)),
                 default=-1) + 1
        if at == 0:
            continue
        statements = []
        if requires:
            target = rng.choice(requires)
            folder = (root / path).parent
            missing = target + rng.choice(["s", "-utils", "Helper", "_v2"])
            if not any((folder / f"{missing}{ext}").exists() for ext in ("", ".js", "/index.js")):
                statements.append(("relative file", f"var probe = require('{missing}');"))
        statements.append(("made-up package", f"var probe2 = require('{rng.choice(FAKE_NPM)}');"))
        for kind, statement in statements:
            if sum(c.kind == f"js {kind}" for c in cases) >= per_kind:
                continue
            new = "".join([*lines[:at], statement + "\n", *lines[at:]])
            cases.append(Case(f"js {kind}", change(path, text, new), at + 1, True))
    return cases


def negatives(root: Path, commits: int) -> list[tuple[str, list[tuple[str, str | None, str]]]]:
    """(parent commit, [(path, old text, new text)]) of the last commits changing .py/.js files."""
    out = git(root, "log", "--no-merges", "--format=%H", f"-n{commits * 3}", "HEAD", "--", "*.py", "*.js")
    found = []
    for commit in out.split():
        paths = [p for p in git(root, "diff", "--name-only", "--diff-filter=AM", f"{commit}^", commit).split("\n")
                 if p.endswith((".py", ".js", ".txt", ".in", ".toml", ".json", ".lock", ".cfg"))]
        items = []
        for path in paths:
            new = git(root, "show", f"{commit}:{path}")
            old = subprocess.run(["git", "-C", str(root), "show", f"{commit}^:{path}"], capture_output=True)
            items.append((path, old.stdout.decode("utf-8", "replace") if old.returncode == 0 else None, new))
        if items:
            found.append((f"{commit}^", items))
        if len(found) >= commits:
            break
    return found


SHOW = False


def judge(guard: NamesGuard, case: Case) -> tuple[bool, int, float, int]:
    """(the injected line refused, other refusals, seconds, skipped)."""
    started = time.perf_counter()
    report = guard.check([case.change])
    seconds = time.perf_counter() - started
    hit = any(r.line == case.line for r in report.refusals) if case.positive else False
    other = sum(1 for r in report.refusals if not case.positive or r.line != case.line)
    if SHOW and case.positive and not hit:
        print(f"    skipped: {report.reasons}")
    if SHOW and other:
        print(f"    refused: {[str(r) for r in report.refusals]}")
    if SHOW and seconds > 0.2:
        print(f"    slow: {seconds * 1000:.0f} ms {case.kind} {case.change.path}:{case.line}")
    return hit, other, seconds, report.skipped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repos", nargs="+", type=Path)
    parser.add_argument("--python", default=sys.executable, help="the projects' environment (an interpreter)")
    parser.add_argument("--commits", type=int, default=40)
    parser.add_argument("--per-kind", type=int, default=12)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--show", action="store_true", help="print each false positive and miss")
    args = parser.parse_args()
    global SHOW
    rng = random.Random(args.seed)
    tallies: dict[str, Counter[str]] = defaultdict(Counter)
    times: list[tuple[int, float]] = []
    for gitdir in args.repos:
        name = gitdir.parent.name if gitdir.name == "repo" else gitdir.name
        with tempfile.TemporaryDirectory(prefix="bench-names-") as scratch:
            root = Path(scratch) / "clone"
            subprocess.run(["git", "clone", "-q", "--shared", str(gitdir), str(root)], check=True)
            environment = PythonEnvironment(root, Path(args.python))
            guard = NamesGuard(root, environment)
            positives, controls = python_positives(root, args.python, rng, args.per_kind)
            cases: list[Case] = [*positives, *controls, *js_positives(root, rng, args.per_kind)]
            SHOW = False
            for case in cases:
                judge(guard, case)  # warm: the environment's answers, parsed modules
            SHOW = args.show
            for case in cases:
                hit, other, seconds, skipped = judge(guard, case)
                kind = case.kind if case.positive else f"control: {case.kind}"
                record(tallies, name, kind, case, hit, other, skipped, args.show)
                times.append((len(case.change.added_lines), seconds))
            for parent, items in negatives(root, args.commits):
                git(root, "checkout", "-q", "--force", parent)
                guard = NamesGuard(root, environment)
                changes = [change(path, old, new) for path, old, new in items]
                changes = [c for c in changes if c.added_lines]
                guard.check(changes)
                started = time.perf_counter()
                report = guard.check(changes)
                seconds = time.perf_counter() - started
                times.append((sum(len(c.added_lines) for c in changes), seconds))
                counter = tallies[name]
                counter["commits"] += 1
                counter["commit refusals"] += len(report.refusals)
                counter["commit dependency refusals"] += sum(r.reason.startswith("the new dependency")
                                                             for r in report.refusals)
                counter["commits refused"] += bool(report.refusals)
                counter["commit checked"] += report.checked
                counter["commit skipped"] += report.skipped
                if report.refusals and args.show:
                    for refusal in report.refusals:
                        print(f"  FP commit {parent[:12]} {refusal}")
    summary(tallies, times)


def record(tallies: dict[str, Counter[str]], name: str, kind: str, case: Case, hit: bool, other: int, skipped: int,
           show: bool) -> None:
    counter = tallies[name]
    counter[f"{kind} n"] += 1
    counter[f"{kind} hit"] += hit
    counter[f"{kind} other"] += other
    counter[f"{kind} skipped"] += bool(skipped) and not hit
    if show and case.positive and not hit:
        print(f"  MISS {name} {kind} {case.change.path}:{case.line}: "
              f"{(case.change.new_content or b'').decode().splitlines()[case.line - 1].strip() if case.line else ''}")
    if show and other:
        print(f"  FP {name} {kind} {case.change.path}:{case.line}")


def summary(tallies: dict[str, Counter[str]], times: list[tuple[int, float]]) -> None:
    total = Counter[str]()
    for counter in tallies.values():
        total.update(counter)
    kinds = sorted({key.rsplit(" ", 1)[0] for key in total if key.endswith(" n")})
    print(f"{'kind':38} {'n':>5} {'found':>6} {'recall':>7} {'other refusals':>15}")
    for kind in kinds:
        n, hit = total[f"{kind} n"], total[f"{kind} hit"]
        print(f"{kind:38} {n:5} {hit:6} {hit / n if n and not kind.startswith('control') else float('nan'):7.1%} "
              f"{total[f'{kind} other']:15}")
    positives = [k for k in kinds if not k.startswith("control")]
    tp = sum(total[f"{k} hit"] for k in positives)
    n = sum(total[f"{k} n"] for k in positives)
    fp = sum(total[f"{k} other"] for k in kinds) + total["commit refusals"]
    print(f"\nreal commits: {total['commits']}, refused {total['commits refused']} ({total['commit refusals']} refusals), "
          f"{total['commit checked']} uses checked, {total['commit skipped']} skipped")
    print(f"precision {tp / (tp + fp) if tp + fp else float('nan'):.1%} (true {tp}, false {fp}); "
          f"recall {tp / n if n else float('nan'):.1%} ({tp} of {n} invented names)")
    deps = total["commit dependency refusals"]
    names_fp = fp - deps
    print(f"  of the false ones, {deps} are real packages a real commit added that neither a lock file nor the bench "
          f"environment has (reported by design); without them precision {tp / (tp + names_fp) if tp + names_fp else 0:.1%}")
    if times:
        seconds = sorted(s for _, s in times)
        around = sorted(s for lines, s in times if 40 <= lines <= 60)
        print(f"time per diff (warm): median {statistics.median(seconds) * 1000:.1f} ms, "
              f"p95 {seconds[int(len(seconds) * 0.95) - 1] * 1000:.1f} ms, max {seconds[-1] * 1000:.1f} ms over "
              f"{len(seconds)} diffs")
        if around:
            print(f"diffs of 40-60 added lines: {len(around)}, median {statistics.median(around) * 1000:.1f} ms, "
                  f"max {around[-1] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
