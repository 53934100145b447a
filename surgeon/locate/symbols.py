"""The repository's definitions from the locate index, for callers that need names rather than
ranked regions (the model's find_definition, the names guard): the same cache by blob id, so the
files of a warm repository are read from it, not parsed again."""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from surgeon.git import find_repo
from surgeon.locate.cache import CacheError, IndexCache, open_cache, recover
from surgeon.locate.engine import print_note, update_index
from surgeon.locate.files import list_files
from surgeon.locate.index import DEFAULT_MAX_FILE_BYTES, Definition, FileRecord


def repository_records(repo_root: Path | str, paths: Collection[str] | None = None, *,
                       cache_dir: Path | None = None, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
                       workers: int | None = None, on_note: Callable[[str], None] | None = None
                       ) -> dict[str, FileRecord]:
    """path -> index record of each file locate reads in the working tree (tracked and untracked
    files git does not ignore; not vendored, generated, binary or huge), of `paths` only when
    given, indexing what the cache has not seen."""
    repo = find_repo(repo_root, need_commit=False)
    cache_path = Path(cache_dir or repo.surgeon_dir / "locate") / "index.sqlite"
    note = on_note or print_note
    cache = open_cache(cache_path, note)
    try:
        with cache:
            return _records(cache, repo.root, paths, max_file_bytes, workers)
    except CacheError as exc:
        if cache.in_memory:
            raise
        with recover(cache_path, exc, note, failed=cache.generation) as cache:
            return _records(cache, repo.root, paths, max_file_bytes, workers)


def _records(cache: IndexCache, root: Path, paths: Collection[str] | None, max_bytes: int, workers: int | None
             ) -> dict[str, FileRecord]:
    listing = list_files(root, max_bytes=max_bytes, stat_lookup=cache.stat_lookup, stat_store=cache.stat_store)
    wanted = None if paths is None else set(paths)
    files = [f for f in listing.files if not f.huge and (wanted is None or f.path in wanted)]
    update_index(cache, root, files, max_bytes, workers, None, lambda _done, _total: None, cache.known())
    records = cache.get((f.blob, f.language) for f in files)
    found: dict[str, FileRecord] = {}
    for f in files:
        record = records.get((f.blob, f.language or ""))
        if record is not None and record.skip is None:
            found[f.path] = record
    return found


def definitions_named(records: dict[str, FileRecord], name: str) -> list[tuple[str, Definition]]:
    """(path, definition) of `name`: a qualified name (`Cart.add`) matches itself and any longer
    qualname ending in it; a plain name matches definitions of that name."""
    last = name.replace(":", ".").split(".")[-1]
    qualified = name.replace("::", ".")
    return [(path, d) for path, record in records.items() for d in record.definitions
            if d.qualname == qualified or d.qualname.endswith("." + qualified) or (qualified == last and d.name == last)]
