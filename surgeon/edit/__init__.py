"""The edit loop: locate -> prompt -> model -> diff engine -> validators -> stage -> gate."""

from surgeon.edit.loop import Attempt, EditLoop, EditOutcome, EditRequest

__all__ = ["Attempt", "EditLoop", "EditOutcome", "EditRequest"]
