"""Plain-text prompt templates, filled with `{field}` slots.

The templates live in surgeon/templates/ so that they ship inside the package (a pre-commit
framework install is not editable); the top-level prompts/ is a link to that folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[1] / "templates"


@cache
def template(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"prompt template {path} is missing; reinstall surgeon") from None


def render(name: str, **fields: object) -> str:
    """Fill `{field}` slots. Only the named fields are replaced, so braces in code stay intact."""
    text = template(name)
    for key, value in fields.items():
        text = text.replace("{" + key + "}", str(value))
    return text
