"""One module per family of findings; each has RULES (id -> description) and check(file, settings)."""
