"""How fast redaction is on a model-sized context (it runs on every prompt). Prints figures.

    .venv/bin/python tests/bench/bench_redact.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from surgeon.model import Redactor  # noqa: E402
from tests.helpers import EXAMPLE  # noqa: E402


def main() -> None:
    files = sorted(p for p in EXAMPLE.rglob("*") if p.is_file() and p.suffix in {".py", ".js", ".conf", ".service", ".sh"})
    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    planted = 'DATABASE_URL = "postgres://app:s3cr3tP4ssw0rd@db:5432/app"\nAWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
    context = (text + planted) * 4  # about the size of an 8000-token context
    lines = context.count("\n")
    started = time.perf_counter()
    Redactor().redact(context)
    cold = time.perf_counter() - started
    runs = 5
    started = time.perf_counter()
    for _ in range(runs):
        redactor = Redactor()
        redacted = redactor.redact(context)
        assert redactor.restore(redacted) == context
    warm = (time.perf_counter() - started) / runs
    print(f"context: {len(context)} characters, {lines} lines, ~{len(context) // 4} tokens")
    print(f"redact, first call (imports and detector setup): {cold * 1000:.0f} ms")
    print(f"redact + restore, warm: {warm * 1000:.0f} ms ({lines / warm:.0f} lines/s)")


if __name__ == "__main__":
    main()
