"""What the edit loop reports while it works, one frozen value per step, so a view (the terminal,
the demo, a pair session) can show it without decoding names and dicts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from surgeon.diff import PatchResult, Refusal
from surgeon.gate import GateResult
from surgeon.locate import LocateResult

if TYPE_CHECKING:  # the stage layer is imported lazily by the loop; only the type is needed here
    from surgeon.stage import StagedChange


@dataclass(frozen=True)
class Withheld:
    """Files the instruction names that are never sent (secret files, .surgeonignore, not UTF-8)."""

    paths: tuple[str, ...]
    reasons: Mapping[str, str]


@dataclass(frozen=True)
class Located:
    located: LocateResult


@dataclass(frozen=True)
class ModelStarted:
    attempt: int
    model: str


@dataclass(frozen=True)
class AttemptRefused:
    """The model's diff was refused; the reasons go back to it."""

    attempt: int
    errors: tuple[Refusal, ...]
    verdicts: Mapping[str, str]
    result: PatchResult | None


@dataclass(frozen=True)
class Validated:
    attempt: int
    result: PatchResult
    verdicts: Mapping[str, str]


@dataclass(frozen=True)
class Blocked:
    """A valid diff touches files with uncommitted work: nothing staged, no retry."""

    attempt: int
    errors: tuple[Refusal, ...]


@dataclass(frozen=True)
class Staged:
    staged: StagedChange


@dataclass(frozen=True)
class GateStarted:
    command: str


@dataclass(frozen=True)
class GateFinished:
    gate: GateResult


@dataclass(frozen=True)
class Discarded:
    """A staged change whose gate failed was discarded; the failure goes back to the model."""

    staged: StagedChange


EditEvent = (Withheld | Located | ModelStarted | AttemptRefused | Validated | Blocked | Staged | GateStarted
             | GateFinished | Discarded)
