"""The SWE-bench corpus: nine real Python repositories at the base commits of the SWE-bench Lite
instances, with each instance's gold patch and the patches three published systems wrote for it
(CodeR, Devon with gpt-4-0125-preview, Agentless), and a pool of other real files of those
repositories (RST, Markdown, YAML, SQL, Python) for the changes crafted.py makes.

`prepare` reads the mirrors (bare git directories, `<mirrors>/<owner>+<name>/repo`), writes the
data folder once, and `load` reads it:

    <data>/swe-bench-lite.json        instances (repo, base commit, gold patch)
    <data>/preds/<source>.jsonl       the prediction files, as published
    <data>/trees/<repo>/<commit>/...  the touched files at each base commit (git archive)
    <data>/pool/<repo>/...            other real files, at one base commit per repository
    <data>/cases.jsonl                one line per (instance, source, file): the file's diff and
                                      the file after `git apply` (strict) at the base commit
"""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

from tests.bench.diffbench.crafted import RealFile
from tests.bench.diffbench.model import Case

REPOS = ["psf/requests", "pallets/flask", "mwaskom/seaborn", "pydata/xarray", "pylint-dev/pylint",
         "pytest-dev/pytest", "sphinx-doc/sphinx", "astropy/astropy", "sympy/sympy"]
INSTANCES = ("PaulRoewer/swe-bench-lite-api", "src/main/resources/swe-bench-lite.json")
PREDICTIONS = [  # (label, repository, path): SWE-bench prediction files published in these repositories
    ("CodeR", "NL2Code/CodeR", "all_preds.jsonl"),
    ("Devon (gpt-4-0125-preview)", "entropy-research/Devon", "devon_swe_bench_experimental/predictions_for_swebench.jsonl"),
    ("Agentless", "Dylan-Harden3/Agentless", "all_preds.jsonl"),
]
POOL_PATTERN = re.compile(r"\.(rst|md|ya?ml|sql|py)$")
POOL_PER_KIND = 12  # files of each extension per repository


def mirror(mirrors: Path, repo: str) -> Path:
    return mirrors / repo.replace("/", "+") / "repo"


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], capture_output=True, check=True).stdout


def _archive(git_dir: Path, commit: str, paths: list[str], into: Path) -> None:
    """`git archive` of `paths` at `commit`, unpacked into `into` (paths missing there are skipped)."""
    present = [p for p in paths if subprocess.run(["git", "--git-dir", str(git_dir), "cat-file", "-e", f"{commit}:{p}"],
                                                  capture_output=True).returncode == 0]
    if not present:
        return
    data = _git(git_dir, "archive", "--format=tar", commit, "--", *present)
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(into, filter="data")


def file_sections(patch: str) -> list[tuple[str, str]]:
    """(path, that file's part of the patch) for each file a patch modifies (no new, deleted,
    renamed or binary files)."""
    out = []
    for part in re.split(r"^(?=diff --git )", patch.lstrip("\n"), flags=re.M):
        found = re.search(r"^--- a/(\S+)\n\+\+\+ b/(\S+)$", part, re.M)
        if not found or found[1] != found[2] or "\nBinary files" in part or "\nGIT binary patch" in part:
            continue
        if re.search(r"^(new|deleted) file mode|^rename (from|to) ", part, re.M):
            continue
        out.append((found[1], part if part.endswith("\n") else part + "\n"))
    return out


def _applied(path: str, old: bytes, section: str) -> bytes | None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp, path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(old)
        Path(tmp, ".p").write_text(section)
        done = subprocess.run(["git", "apply", ".p"], cwd=tmp, capture_output=True)
        return target.read_bytes() if done.returncode == 0 else None


def prepare(mirrors: Path, data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    instances_file = data / "swe-bench-lite.json"
    if not instances_file.exists():
        instances_file.write_bytes(_git(mirror(mirrors, INSTANCES[0]), "show", f"HEAD:{INSTANCES[1]}"))
    rows = {r["Instance_id"]: r for r in json.loads(instances_file.read_text()) if r["Repo"] in REPOS}
    patches: list[tuple[str, str, str]] = [("gold", i, r["Patch"]) for i, r in sorted(rows.items())]
    (data / "preds").mkdir(exist_ok=True)
    for label, repo, path in PREDICTIONS:
        saved = data / "preds" / f"{repo.replace('/', '+')}.jsonl"
        if not saved.exists():
            saved.write_bytes(_git(mirror(mirrors, repo), "show", f"HEAD:{path}"))
        for line in saved.read_text(errors="replace").splitlines():
            try:
                pred = json.loads(line)
            except json.JSONDecodeError:
                continue
            if pred.get("instance_id") in rows and (pred.get("model_patch") or "").strip():
                patches.append((label, pred["instance_id"], pred["model_patch"]))

    seen: set[tuple[str, str, str]] = set()
    out = []
    for source, instance, patch in patches:
        row = rows[instance]
        sections = file_sections(patch)
        tree = data / "trees" / row["Repo"].replace("/", "+") / row["Base_commit"]
        missing = [p for p, _ in sections if not (tree / p).exists()]
        if missing:
            _archive(mirror(mirrors, row["Repo"]), row["Base_commit"], missing, tree)
        for path, section in sections:
            key = (row["Base_commit"], path, section)
            if key in seen or not (tree / path).is_file():
                continue
            seen.add(key)
            old = (tree / path).read_bytes()
            new = _applied(path, old, section)
            if new is None or new == old:
                continue
            try:
                new_text = new.decode("utf-8")
                old.decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append({"instance": instance, "repo": row["Repo"], "commit": row["Base_commit"], "source": source,
                        "path": path, "diff": section, "new": new_text})
    with (data / "cases.jsonl").open("w") as handle:
        for item in out:
            handle.write(json.dumps(item) + "\n")

    rng = random.Random(14)
    for repo in REPOS:
        commit = sorted((r["Created_at"], r["Base_commit"]) for r in rows.values() if r["Repo"] == repo)[-1][1]
        names = _git(mirror(mirrors, repo), "ls-tree", "-r", "--name-only", commit).decode().splitlines()
        picked: list[str] = []
        for ext in ("rst", "md", "yml", "yaml", "sql", "py"):
            group = [n for n in names if n.endswith("." + ext)]
            picked += rng.sample(group, min(len(group), POOL_PER_KIND if ext != "py" else 2 * POOL_PER_KIND))
        _archive(mirror(mirrors, repo), commit, picked, data / "pool" / repo.replace("/", "+"))


def prepared(data: Path) -> bool:
    return (data / "cases.jsonl").is_file() and (data / "pool").is_dir()


def load(data: Path) -> tuple[list[Case], list[RealFile]]:
    cases = []
    for line in (data / "cases.jsonl").read_text().splitlines():
        item = json.loads(line)
        old = (data / "trees" / item["repo"].replace("/", "+") / item["commit"] / item["path"]).read_bytes()
        cases.append(Case("swe-bench", item["source"], item["instance"], item["path"], old,
                          item["new"].encode("utf-8"), item["diff"]))
    files = []
    for repo_dir in sorted((data / "pool").iterdir()):
        for file in sorted(p for p in repo_dir.rglob("*") if p.is_file() and POOL_PATTERN.search(p.name)):
            files.append(RealFile(repo_dir.name.replace("+", "/"), file.relative_to(repo_dir).as_posix(), file.read_bytes()))
    return cases, files
