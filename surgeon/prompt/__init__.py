"""What the model is shown: the prompt templates and the rendering of located code into context."""

from typing import TYPE_CHECKING

from surgeon.lazy import exports
from surgeon.prompt.feedback import refusal_lines, refusal_reasons
from surgeon.prompt.templates import render, template

if TYPE_CHECKING:
    from surgeon.prompt.context import render_context

__all__ = ["refusal_lines", "refusal_reasons", "render", "render_context", "template"]

# The context is rendered where an edit is prepared (a child process): the edit's own process,
# which only renders templates, does not load locate for it.
__getattr__ = exports(__name__, {"render_context": "surgeon.prompt.context"})
