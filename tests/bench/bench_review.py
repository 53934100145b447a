"""Wall time of `surgeon review --staged` (no --llm) on a 500-line staged diff, interpreter start-up
included, as the pre-commit hook runs it. Two diffs: one clean, one with findings whose fixes are
validated by the diff engine. Also lists heavy modules the default path imported.

Run: .venv/bin/python tests/bench/bench_review.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.helpers import GIT_ENV, copy_example, git  # noqa: E402

HEAVY = ("anthropic", "openai", "tree_sitter", "git", "rich", "prompt_toolkit", "unidiff")


def python_module(lines: int, planted: bool) -> str:
    out = ['"""Order sync with the partner API."""', "", "import os", "", "import requests", "",
           'PARTNER_URL = os.environ["PARTNER_URL"]', ""]
    tail = []
    if planted:
        tail = ["def ping():", '    return requests.get(PARTNER_URL + "/ping")', "",
                'LEGACY_TOKEN = "ghp_' + "sMehGAkWvj7FAc9QeWJKY40uvSwMFLZDe1f8" + '"']
    index = 0
    while len(out) + 9 <= lines - len(tail):
        out += [
            f"def sync_batch_{index}(session, orders):",
            f'    """Send batch {index} and return the ids the partner accepted."""',
            "    accepted = []",
            "    for order in orders:",
            f'        response = session.post(PARTNER_URL + "/orders/{index}", json=order, timeout=10)',
            "        if response.ok:",
            '            accepted.append(order["id"])',
            "    return accepted",
            "",
        ]
        index += 1
    out += [f"# padding {n}" for n in range(lines - len(tail) - len(out))]
    return "\n".join(out + tail) + "\n"


def js_module(lines: int) -> str:
    out = ["// Cart widget.", "const cfg = window.SHOP_CONFIG;", ""]
    index = 0
    while len(out) < lines:
        out += [
            f"export async function loadPart{index}(id) {{",
            f'  const response = await fetch(cfg.apiBase + "/part/{index}/" + id, {{',
            "    signal: AbortSignal.timeout(8000),",
            "  });",
            "  return response.json();",
            "}",
            "",
        ]
        index += 1
    return "\n".join(out[:lines]) + "\n"


def nginx_conf(lines: int, planted: bool) -> str:
    out: list[str] = []
    tail = ["location /export/ {", "    proxy_pass http://analytics_ingest;", "    proxy_read_timeout 3600s;", "}"]
    tail = tail if planted else []
    index = 0
    while len(out) < lines - len(tail):
        out += [
            f"location /api/v{index}/ {{",
            "    proxy_pass http://analytics_ingest;",
            "    proxy_set_header Host $host;",
            "    proxy_read_timeout 10s;",
            "}",
            "",
        ]
        index += 1
    return "\n".join(out[:lines - len(tail)] + tail) + "\n"


def make_repo(where: Path, planted: bool) -> Path:
    repo = copy_example(where)
    (repo / "ingest/partner.py").write_text(python_module(250, planted))
    (repo / "web/cart.js").write_text(js_module(150))
    (repo / "deploy/nginx/api-locations.conf").write_text(nginx_conf(100, planted))
    git(repo, "add", "-A")
    numstat = git(repo, "diff", "--cached", "--numstat")
    added = sum(int(line.split("\t")[0]) for line in numstat.splitlines())
    assert added == 500, added
    return repo


def run_once(repo: Path, *extra: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, **GIT_ENV}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "surgeon", "review", "--staged", *extra], cwd=repo, env=env,
                            capture_output=True, text=True)
    return time.perf_counter() - started, result


def heavy_imports(repo: Path) -> list[str]:
    env = {**os.environ, **GIT_ENV}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "surgeon", "review", "--staged", "--json"],
                            cwd=repo, env=env, capture_output=True, text=True)
    names = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()
             if line.startswith("import time:")}
    return sorted(name for name in HEAVY if name in names)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="surgeon-bench-review-") as tmp:
        for label, planted in (("clean", False), ("with findings", True)):
            repo = make_repo(Path(tmp) / label.replace(" ", "-"), planted)
            run_once(repo)  # warm the page cache and .pyc files
            times = []
            for _ in range(args.runs):
                seconds, result = run_once(repo, "--json")
                times.append(seconds)
            payload = json.loads(result.stdout)
            fixes = sum(1 for f in payload["findings"] if f["diff"])
            print(f"surgeon review --staged, 500 added lines, {label}: median {statistics.median(times):.3f} s, "
                  f"min {min(times):.3f} s, max {max(times):.3f} s over {args.runs} runs "
                  f"({len(payload['findings'])} findings, {fixes} fixes validated, exit {result.returncode})")
            print(f"  heavy modules imported: {', '.join(heavy_imports(repo)) or 'none'}")


if __name__ == "__main__":
    main()
