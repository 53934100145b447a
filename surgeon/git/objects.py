"""Facts about git objects that need no git call: the file modes surgeon stages and the id git gives
a blob (sha1 or sha256, as the repository's object format says). Pure."""

from __future__ import annotations

import hashlib

REGULAR_MODES = ("100644", "100755")
SYMLINK_MODE = "120000"
FILE_MODES = (*REGULAR_MODES, SYMLINK_MODE)


def blob_id(data: bytes, object_format: str = "sha1") -> str:
    """The object id git gives these bytes as a blob (`git hash-object --no-filters`) in a
    repository whose object format is `object_format` ("sha1" or "sha256")."""
    if object_format not in ("sha1", "sha256"):
        raise ValueError(f"unknown git object format {object_format!r}")
    digest = hashlib.new(object_format)
    digest.update(b"blob %d\0" % len(data))
    digest.update(data)
    return digest.hexdigest()


def regular_blob(entry: tuple[str, str] | None) -> str | None:
    """The blob of a regular-file (mode, id) entry; None for a symlink, a submodule or nothing."""
    return entry[1] if entry is not None and entry[0] in REGULAR_MODES else None
