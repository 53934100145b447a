"""Validators run on a diff's changes: scope, minimality, syntax, secrets. Each module is pure:
changes (or text) in, refusals out."""
