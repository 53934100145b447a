"""What the model is shown: the prompt templates and the rendering of located code into context."""

from surgeon.prompt.context import render_context
from surgeon.prompt.feedback import refusal_lines, refusal_reasons
from surgeon.prompt.templates import render, template

__all__ = ["refusal_lines", "refusal_reasons", "render", "render_context", "template"]
