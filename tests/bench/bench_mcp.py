"""Benchmark: how long `surgeon mcp` takes to start, and to answer its first calls.

Run: .venv/bin/python tests/bench/bench_mcp.py [--runs N]
Each run starts the installed console script as an MCP client does (the `mcp` SDK's stdio client) on a
temporary copy of examples/analytics-stack, and times: the handshake (process start and `initialize`),
`tools/list`, a first `check_diff` and a first `locate` (which builds the locate index the first
time; a later run reuses it). Figures are medians in milliseconds.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[2]
SURGEON = Path(sys.executable).parent / "surgeon"
GIT_ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid"}
DIFF = """--- a/deploy/nginx/site.conf
+++ b/deploy/nginx/site.conf
@@ -1,1 +1,1 @@
-{first}
+{first} # checked
"""


def make_repo(folder: Path) -> Path:
    repo = folder / "stack"
    shutil.copytree(ROOT / "examples" / "analytics-stack", repo,
                    ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", ".venv"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "stack"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env={"PATH": "/usr/bin:/bin", "HOME": str(folder),
                                                                     **GIT_ENV})
    return repo


async def one_run(repo: Path, diff: str) -> dict[str, float]:
    params = StdioServerParameters(command=str(SURGEON), args=["mcp", "--repo", str(repo)], env=GIT_ENV)
    times: dict[str, float] = {}
    started = time.perf_counter()
    with open("/dev/null", "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            times["initialize"] = time.perf_counter() - started
            mark = time.perf_counter()
            await session.list_tools()
            times["tools/list"] = time.perf_counter() - mark
            mark = time.perf_counter()
            result = await session.call_tool("check_diff", {"diff": diff})
            assert not result.is_error, result.content
            times["check_diff"] = time.perf_counter() - mark
            mark = time.perf_counter()
            result = await session.call_tool("locate", {"instruction": "raise the proxy timeout on /api/"})
            assert not result.is_error, result.content
            times["locate"] = time.perf_counter() - mark
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as folder:
        repo = make_repo(Path(folder))
        first = (repo / "deploy/nginx/site.conf").read_text().splitlines()[0]
        diff = DIFF.format(first=first)
        samples = [anyio.run(one_run, repo, diff) for _ in range(runs)]
    print(f"surgeon mcp on examples/analytics-stack, {runs} runs (median ms; first run in brackets):")
    for step in samples[0]:
        values = [s[step] * 1000 for s in samples]
        print(f"  {step:<11} {statistics.median(values):7.0f}   [{values[0]:.0f}]")


if __name__ == "__main__":
    main()
