"""What a gate run found: the check command, pass or fail, exit code, time and the tail of its output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GateResult:
    command: str
    passed: bool
    exit_code: int | None  # None when the command was stopped (timeout)
    timed_out: bool
    seconds: float
    output_tail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "timed_out": self.timed_out,
            "seconds": round(self.seconds, 3),
            "output_tail": self.output_tail,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GateResult:
        return cls(
            command=str(data["command"]),
            passed=bool(data["passed"]),
            exit_code=None if data.get("exit_code") is None else int(data["exit_code"]),
            timed_out=bool(data.get("timed_out", False)),
            seconds=float(data.get("seconds", 0.0)),
            output_tail=str(data.get("output_tail", "")),
        )

    @property
    def label(self) -> str:
        """passed / failed (exit N) / timed out after Ns."""
        if self.timed_out:
            return f"timed out after {self.seconds:.0f}s"
        if self.passed:
            return "passed"
        return f"failed (exit {self.exit_code})"
