"""The shell: click commands (options -> one call into edit, pair, review, stage ... -> rendering).
Nothing below imports from here."""

from surgeon.cli.main import cli, main, run

__all__ = ["cli", "main", "run"]
