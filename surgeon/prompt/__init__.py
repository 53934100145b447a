"""What the model is shown: the prompt templates and the rendering of located code into context."""

from surgeon.prompt.context import render_context
from surgeon.prompt.templates import render, template

__all__ = ["render", "render_context", "template"]
