"""How git converts a file between the working tree and the repository (its clean step): the
model of core.autocrlf and the text/eol/filter attributes that staging reproduces. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# Attributes that make git convert a file between the working tree and the repository.
CONVERSION_ATTRIBUTES = ("text", "crlf", "eol", "filter", "ident", "working-tree-encoding")
NOT_SET = ("unspecified", "unset")


@dataclass(frozen=True)
class Conversion:
    """How git converts one path on its way into the repository (its clean step)."""

    eol: str = "none"  # "none", "text" (CRLF -> LF always) or "auto" (only text, only without a CR in the index)
    other: bool = False  # a filter driver, ident or working-tree-encoding applies as well

    @property
    def converts(self) -> bool:
        return self.eol != "none" or self.other


def parse_autocrlf(value: str | None) -> str:
    """core.autocrlf as git reads it: "true", "input" or "false"."""
    if value is None:
        return "false"
    value = value.strip().lower()
    if value == "input":
        return "input"
    if value in ("", "true", "yes", "on") or (value.lstrip("-").isdigit() and int(value) != 0):
        return "true"
    return "false"


def conversion_for(attributes: Mapping[str, str], autocrlf: str) -> Conversion:
    """The conversion git's convert.c picks from a path's attributes (check-attr values) and
    core.autocrlf ("true", "input" or "false")."""

    def eol_action(value: str) -> str | None:
        if value in ("set", "input"):
            return "text"
        if value == "unset":
            return "none"
        if value == "auto":
            return "auto"
        return None

    action = eol_action(attributes.get("text", "unspecified"))
    if action is None:
        action = eol_action(attributes.get("crlf", "unspecified"))
    if action != "none" and action != "auto" and attributes.get("eol") in ("lf", "crlf"):
        action = "text"
    if action is None:
        action = "auto" if autocrlf in ("true", "input") else "none"
    other = any(attributes.get(name, "unspecified") not in NOT_SET for name in ("filter", "ident", "working-tree-encoding"))
    return Conversion(eol=action, other=other)


