"""`locate()`: the edges (git, files, the cache, grep) around the pure query and ranking core."""

from __future__ import annotations

import itertools
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from surgeon.errors import UsageError
from surgeon.git import find_repo
from surgeon.locate import grep as grep_module
from surgeon.locate.cache import CacheError, IndexCache, open_cache, recover
from surgeon.locate.chunks import Chunk
from surgeon.locate.files import (
    GENERATED_NAMES,
    GENERATED_SUFFIXES,
    VENDORED_DIRS,
    Listing,
    RepoFile,
    list_files,
    printable_path,
)
from surgeon.locate.frames import Frame
from surgeon.locate.fusion import fuse
from surgeon.locate.hits import LineMatcher, terms_in_files
from surgeon.locate.index import DEFAULT_MAX_FILE_BYTES, FileRecord, index_files, looks_binary
from surgeon.locate.mentions import conventional_names, normalise_path, resolve_mention
from surgeon.locate.pack import pack
from surgeon.locate.query import Query, parse_instruction
from surgeon.locate.rank import (
    FileEvidence,
    Scored,
    companions,
    file_prescore,
    idf,
    path_bonus,
    rank_file,
    select,
    widen,
)
from surgeon.locate.result import LocateResult, Region, region_text
from surgeon.locate.search import common_terms, full_text_search, paths_by_blob
from surgeon.tokens import estimate_tokens

MAX_CANDIDATE_FILES = 50
AMBIGUOUS_NAME_FILES = 3  # a file name without a folder that more files than this have names none
# In a repository of this many files or more, a query's common terms (search.common_terms) are
# grepped for later, in the LATER_POOL best files by prescore and the best full-text ones only.
LARGE_REPOSITORY = 1000
LATER_POOL = 150
# The best regions that are part of a longer definition are shown as the whole definition when it
# takes at most this share of the budget: the change an instruction asks for is often elsewhere in
# the function its words point at.
WIDEN_TOP = 3
WIDEN_SHARE = 0.25
# ... and as their whole file when it takes at most this share: a small file is read whole by
# whoever edits it (measured: the share of issues whose every changed line is shown rose 44 -> 49%).
WHOLE_FILE_SHARE = 0.15
FULL_TEXT_FILES = 20  # files of the best full-text chunks that are ranked structurally too
DOCUMENT_FILES = 10  # files of the best whole-file matches that are ranked structurally too
WRITE_BATCH = 256
# The cache keeps records of old versions (a branch switch back parses nothing) until it holds
# more than PRUNE_FACTOR x the files of the tree (+ PRUNE_SLACK); then only current ones are kept.
PRUNE_FACTOR = 3
CONCURRENT_GREP_MAX_UNSEEN = 50  # more new files than this: index (in worker processes) before grep
PRUNE_SLACK = 2000


def locate(
    repo_root: Path | str,
    instruction: str,
    *,
    budget: int = 8000,
    pinned: Sequence[str] = (),
    cache_dir: Path | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    workers: int | None = None,
    grep_tool: str | None = None,
    on_parse: Callable[[str], None] | None = None,
    on_note: Callable[[str], None] | None = None,
    on_index: Callable[[int, int], None] | None = None,
    withhold: Callable[[str], bool] | None = None,
) -> LocateResult:
    """The regions of the working tree at `repo_root` that `instruction` is about, ranked and
    packed into `budget` tokens (see `estimate_tokens`). `pinned` files come first, whole when
    they fit. The index cache lives in `cache_dir` (default: .git/surgeon/locate/).
    `on_parse(path)` is called for each file actually parsed (not found in the cache).
    `on_note(text)` gets what a person should know that is not an error (an unreadable cache that
    was rebuilt, files skipped for their names); by default it goes to standard error.
    `on_index(done, total)` follows the parsing of files the cache has not seen (a cold index of a
    large repository takes seconds); by default a progress line on standard error.
    `withhold(path)` True keeps a file out of the ranking (a file the caller will not show, such
    as a secret file), so its share of the budget goes to the next best region.
    """
    started = time.perf_counter()
    if not instruction.strip() and not pinned:
        raise UsageError("the instruction is empty: say what to change, e.g. surgeon locate \"raise the upload limit\"")
    if budget <= 0:
        raise UsageError(f"budget must be a positive number of tokens, got {budget}")
    repo = find_repo(repo_root, need_commit=False)
    cache_path = Path(cache_dir or repo.surgeon_dir / "locate") / "index.sqlite"
    query = parse_instruction(instruction)
    tool = grep_tool or grep_module.grep_tool()
    note = on_note or print_note
    progress = on_index or IndexProgress()
    cache = open_cache(cache_path, note)
    try:
        with cache:
            regions, listing, indexed, skipped, withheld = _locate(repo.root, query, cache, tool, budget, pinned,
                                                         max_file_bytes, workers, on_parse, progress, withhold)
    except CacheError as exc:  # found unreadable part-way (a corrupt page, a lock held too long)
        if cache.in_memory:
            raise
        with recover(cache_path, exc, note, failed=cache.generation) as cache:
            regions, listing, indexed, skipped, withheld = _locate(repo.root, query, cache, tool, budget, pinned,
                                                         max_file_bytes, workers, on_parse, progress, withhold)
    files_indexed = len(indexed)
    if listing.unnamed:
        shown = ", ".join(printable_path(p) for p in listing.unnamed[:3]) + (", ..." if len(listing.unnamed) > 3 else "")
        note(f"skipped {len(listing.unnamed)} file(s) whose name is not UTF-8 ({shown}); rename them to have them "
             "located and edited")
    return LocateResult(
        regions=tuple(regions),
        tokens=sum(r.tokens for r in regions),
        files_indexed=files_indexed,
        seconds=round(time.perf_counter() - started, 3),
        skipped=skipped,
        withheld=tuple(withheld),
    )


def print_note(text: str) -> None:
    """The default `on_note`: one line on standard error (not under --quiet)."""
    from surgeon import terminal

    if not terminal.quiet():
        print(f"surgeon: {text}", file=sys.stderr, flush=True)


class IndexProgress:
    """The default `on_index`: silent for small jobs; for a cold index of many files a line on
    standard error that says what is happening (rewritten in place on a terminal), then how long
    it took. Nothing under --quiet."""

    FROM_FILES = 300  # fewer unseen files than this index in well under a second
    EVERY_SECONDS = 0.25

    def __init__(self) -> None:
        self.started: float | None = None
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        from surgeon import terminal

        if total < self.FROM_FILES or terminal.quiet():
            return
        now = time.monotonic()
        live = terminal.can_redraw(sys.stderr)
        if self.started is None:
            self.started = self.shown = now
            print(f"surgeon: indexing {total} files (the first time only: the index is cached by blob id) …",
                  file=sys.stderr, end="" if live else "\n", flush=True)
        elif done >= total:
            clear = "\r\x1b[2K" if live else ""
            print(f"{clear}surgeon: indexed {total} files in {now - self.started:.1f}s", file=sys.stderr, flush=True)
        elif live and now - self.shown >= self.EVERY_SECONDS:
            self.shown = now
            print(f"\r\x1b[2Ksurgeon: indexing files … {done}/{total}", file=sys.stderr, end="", flush=True)


def _locate(root: Path, query: Query, cache: IndexCache, tool: str, budget: int, pinned: Sequence[str], max_file_bytes: int,
            workers: int | None, on_parse: Callable[[str], None] | None, on_index: Callable[[int, int], None],
            withhold: Callable[[str], bool] | None = None,
            ) -> tuple[list[Region], Listing, dict[str, RepoFile], dict[str, int], list[str]]:
    """One run of locate on `cache`: (regions, the listing, the indexed files, skipped counts,
    withheld files)."""
    stored = cache.get_meta("excluded")
    previous_exclusions: list[str] | None = None
    if isinstance(stored, list) and all(isinstance(p, str) for p in stored):
        previous_exclusions = stored

    def start_grep(excluded_paths: Iterable[str], *, tracked: bool = True,
                   untracked: Sequence[str] | None = None) -> grep_module.GrepJob:
        exclusions = grep_module.Exclusions(paths=sorted(excluded_paths), suffixes=GENERATED_SUFFIXES,
                                            names=tuple(GENERATED_NAMES), dirs=tuple(VENDORED_DIRS))
        return grep_module.GrepJob(root, first, exclusions, tool, tracked=tracked, untracked=untracked)

    listed = cache.get_meta("files")  # how many files the last run listed
    # ripgrep searches the whole tree whatever paths it is given: no later grep with it
    large = isinstance(listed, int) and listed >= LARGE_REPOSITORY and tool != "rg"
    common = common_terms(query, cache) if large else {}
    first, later = query.patterns_apart(common)
    if not first:  # only common terms: grep for them everywhere
        first, later, common = later, (), {}
    # a common term that shares a spelling with another is grepped for everywhere after all
    common = {i: share for i, share in common.items() if set(query.terms[i].variants).isdisjoint(first)}

    # On a warm cache, git grep searches the tracked files while they are listed (skipping
    # what the last run found huge, binary or generated); untracked ones follow once the
    # listing has named them. The first run lists and indexes first, then greps.
    jobs: list[grep_module.GrepJob] = []
    if previous_exclusions is not None and tool != "rg":
        jobs.append(start_grep(previous_exclusions, tracked=True, untracked=()))
    listing = list_files(root, max_bytes=max_file_bytes, stat_lookup=cache.stat_lookup, stat_store=cache.stat_store)
    if listed != len(listing.files):
        cache.set_meta("files", len(listing.files))
    known = cache.known()
    unseen = sum(1 for f in listing.files if not f.huge and (f.blob, f.language or "") not in known)
    huge_now = {f.path for f in listing.files if f.huge}
    if jobs and listing.untracked:
        jobs.append(start_grep(huge_now, tracked=False, untracked=listing.untracked))
    elif not jobs and unseen <= CONCURRENT_GREP_MAX_UNSEEN:
        jobs.append(start_grep(set(previous_exclusions or ()) | huge_now, untracked=listing.untracked))
    if unseen > CONCURRENT_GREP_MAX_UNSEEN:
        for job in jobs:  # no worker processes are forked while grep's reader threads run
            job.wait()
    skips = update_index(cache, root, listing.files, max_file_bytes, workers, on_parse, on_index, known)
    if len(skips) > PRUNE_FACTOR * len(listing.files) + PRUNE_SLACK:
        current = {(f.blob, f.language or "") for f in listing.files if not f.huge}
        cache.prune(current, {f.path for f in listing.files})
    skipped = dict(listing.skipped)
    indexed: dict[str, RepoFile] = {}
    excluded: list[str] = []
    for f in listing.files:
        reason = "huge" if f.huge else skips.get((f.blob, f.language or ""))
        if reason:
            if reason in skipped:
                skipped[reason] += 1
            excluded.append(f.path)
        else:
            indexed[f.path] = f
    if previous_exclusions is None or sorted(excluded) != sorted(previous_exclusions):
        cache.set_meta("excluded", excluded)
    if not jobs:
        jobs.append(start_grep(excluded, untracked=listing.untracked))
    kept = _Withholding(withhold)
    with cache.activated({(f.blob, f.language or "") for f in indexed.values()}):
        regions = _rank(query, root, cache, indexed, _Grep(tool, jobs, later, common), budget, pinned,
                        max_file_bytes, kept)
    return regions, listing, indexed, skipped, sorted(kept.withheld)


def update_index(cache: IndexCache, root: Path, files: Sequence[RepoFile], max_bytes: int, workers: int | None,
                  on_parse: Callable[[str], None] | None, on_index: Callable[[int, int], None],
                  known: dict[tuple[str, str], str | None]) -> dict[tuple[str, str], str | None]:
    """Parse the blobs the cache has not seen; return (blob, language) -> skip reason for all."""
    missing: dict[tuple[str, str], RepoFile] = {}  # identical files (empty __init__.py ...) are parsed once
    for f in files:
        key = (f.blob, f.language or "")
        if not f.huge and key not in known and key not in missing:
            missing[key] = f
    by_path = {f.path: f for f in missing.values()}
    batch: list[tuple[str, str | None, FileRecord, tuple[Chunk, ...]]] = []
    items = [(f.path, f.language) for f in missing.values()]
    if items:
        on_index(0, len(items))
    for done, (path, record, chunks) in enumerate(index_files(root, items, max_bytes=max_bytes, workers=workers), 1):
        on_index(done, len(items))
        f = by_path[path]
        if record.skip == "missing":
            continue
        if on_parse is not None:
            on_parse(path)
        batch.append((f.blob, f.language, record, chunks))
        known[(f.blob, f.language or "")] = record.skip
        if len(batch) >= WRITE_BATCH:
            cache.put_many(batch)
            batch = []
    cache.put_many(batch)
    return known


def _read_lines(path: Path, max_bytes: int) -> tuple[str, ...] | None:
    try:
        if path.stat().st_size > max_bytes:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if looks_binary(data[:8192]):
        return None
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text:
        return tuple(line[:-1] if line.endswith("\r") else line for line in lines)
    return tuple(lines)


class _Withholding:
    """The caller's `withhold`, asked once per file and only for files that would be ranked."""

    def __init__(self, withhold: Callable[[str], bool] | None) -> None:
        self.withhold = withhold
        self.asked: dict[str, bool] = {}

    def shows(self, path: str) -> bool:
        if self.withhold is None:
            return True
        if path not in self.asked:
            self.asked[path] = bool(self.withhold(path))
        return not self.asked[path]

    @property
    def withheld(self) -> list[str]:
        return [path for path, hidden in self.asked.items() if hidden]


@dataclass(frozen=True)
class _Grep:
    """The greps of a query: `jobs` running for its patterns but those that only its `common`
    terms spell (term index -> share of files), which are grepped for `later` in the candidates."""

    tool: str
    jobs: Sequence[grep_module.GrepJob]
    later: tuple[str, ...]
    common: dict[int, float]


def _grep_more(job: grep_module.GrepJob, grepped: dict[str, list[tuple[bytes, bytes]]]) -> None:
    """Add `job`'s lines to `grepped`, each line once."""
    for path, rows in job.by_file().items():
        have = grepped.setdefault(path, [])
        seen = {number for number, _ in have}
        have.extend(row for row in rows if row[0] not in seen)


def _first_shown(ranked: Sequence[str], pinned: Sequence[str], kept: _Withholding) -> Sequence[str]:
    """The first LATER_POOL ranked files, and more until they hold MAX_CANDIDATE_FILES that are
    shown: the candidates come from them (a file outside only loses by the later grep)."""
    shown = 0
    for at, path in enumerate(ranked):
        if path in pinned or kept.shows(path):
            shown += 1
        if shown >= MAX_CANDIDATE_FILES and at + 1 >= LATER_POOL:
            return ranked[:at + 1]
    return ranked


def _rank(query: Query, root: Path, cache: IndexCache, indexed: dict[str, RepoFile], greps: _Grep,
          budget: int, pinned: Sequence[str], max_bytes: int, kept: _Withholding) -> list[Region]:
    terms = query.terms
    hits: dict[str, dict[int, dict[int, int]]] = {}
    grepped: dict[str, list[tuple[bytes, bytes]]] = {}
    paths_of = paths_by_blob(indexed)
    # SQLite lets go of the GIL: the full-text searches run while grep finishes (nothing else
    # uses the cache until they end)
    with ThreadPoolExecutor(max_workers=1) as searcher:
        searched = searcher.submit(full_text_search, query, cache, paths_of)
        for job in greps.jobs:
            _grep_more(job, grepped)
        file_terms = terms_in_files(terms, grepped, [p for p in grepped if p in indexed])
    later, common = greps.later, greps.common
    files = len(indexed)

    def rarities() -> list[float]:
        term_files: dict[int, int] = {}
        for present in file_terms.values():
            for index in present:
                term_files[index] = term_files.get(index, 0) + 1
        return [idf(max(term_files.get(i, 0), round(common.get(i, 0.0) * files)), files) for i in range(len(terms))]

    idfs = rarities()

    by_name: dict[str, list[str]] = {}
    for path in indexed:
        by_name.setdefault(path.rsplit("/", 1)[-1], []).append(path)
    # An issue's "empty `__init__.py`" or "in conf.py" is the reporter's file: a bare name that
    # many files of the repository have names none of them (counted in any case, as path_bonus matches).
    name_files: Counter[str] = Counter()
    for name, holders in by_name.items():
        name_files[name.lower()] += len(holders)
    ambiguous = {m for m in query.paths if "/" not in normalise_path(m)  # ./conf.py is bare too
                 and name_files[normalise_path(m).lower()] > AMBIGUOUS_NAME_FILES}
    if ambiguous:
        query = replace(query, paths=tuple(p for p in query.paths if p not in ambiguous))
    conventional = conventional_names(query.instruction, by_name)
    shallowest = Counter(p.rsplit("/", 1)[-1] for p in conventional)
    conventional = [p for p in conventional if shallowest[p.rsplit("/", 1)[-1]] <= AMBIGUOUS_NAME_FILES]
    if conventional:
        query = replace(query, paths=tuple(dict.fromkeys([*query.paths, *conventional])))
    frames_by_path: dict[str, list[tuple[Frame, int]]] = {}
    depth = 0
    for frame in query.frames:
        resolved = resolve_mention(frame.path, by_name)
        if len(resolved) > AMBIGUOUS_NAME_FILES:  # a bare handlers.py:2 that many files are: none of them
            continue
        for path in resolved:
            # a frame that fits several files is none's innermost for sure (see rank: named)
            frames_by_path.setdefault(path, []).append((frame, depth if len(resolved) == 1 else max(depth, 1)))
        if resolved:
            depth += 1
    named = {p for mentioned in query.paths for p in resolve_mention(mentioned, by_name)}
    pinned_paths = list(dict.fromkeys(normalise_path(p) for p in pinned))

    def by_prescore() -> list[str]:
        prescores: dict[str, float] = {}
        for path in set(file_terms) | named | set(frames_by_path):
            bonus, _ = path_bonus(query, path, idfs)
            prescores[path] = file_prescore(query, file_terms.get(path, {}), idfs, bonus) + (
                100.0 if path in frames_by_path else 0.0)
        return sorted(prescores, key=lambda p: (-prescores[p], p))

    ranked_files = by_prescore()
    found_chunks, found_documents = searched.result()
    full_text = [c for c in found_chunks if kept.shows(c[0])]
    documents = {path: score for path, score in found_documents if kept.shows(path)}
    text_files = [*list(dict.fromkeys(c[0] for c in full_text))[:FULL_TEXT_FILES], *list(documents)[:DOCUMENT_FILES]]
    if later:  # the common terms, in the files the others point at (see search.COMMON_SHARE)
        pool = [p for p in dict.fromkeys([*_first_shown(ranked_files, pinned_paths, kept), *text_files,
                                          *pinned_paths]) if p in indexed or p in pinned_paths]
        _grep_more(grep_module.GrepJob(root, later, tool=greps.tool, tracked=False, untracked=pool), grepped)
        file_terms.update(terms_in_files(terms, grepped, pool))
        idfs = rarities()
        ranked_files = by_prescore()
    shown = itertools.islice((p for p in ranked_files if p in pinned_paths or kept.shows(p)), MAX_CANDIDATE_FILES)
    candidates = list(dict.fromkeys([*shown, *text_files]))
    candidates = [p for p in candidates if p not in pinned_paths]
    matcher = LineMatcher(terms)
    for path in [*candidates, *pinned_paths]:
        for number_b, text_b in grepped.get(path, ()):
            matched = matcher.match(text_b.decode("utf-8", "replace"))
            if matched:
                line_terms = hits.setdefault(path, {}).setdefault(int(number_b), {})
                for index, count in matched.items():
                    line_terms[index] = line_terms.get(index, 0) + count

    keys = [(indexed[p].blob, indexed[p].language) for p in candidates + [p for p in pinned_paths if p in indexed]]
    records = cache.get(keys)
    scored: list[Scored] = []
    for path in pinned_paths:
        scored.extend(_pinned_regions(query, root, path, indexed, records, hits, frames_by_path, idfs, budget,
                                      len(pinned_paths), max_bytes))
    file_lines: dict[str, tuple[str, ...]] = {}
    for path in candidates:
        f = indexed[path]
        record = records.get((f.blob, f.language or ""))
        lines = _read_lines(root / path, max_bytes)
        if record is None or lines is None:
            continue
        file_lines[path] = lines
        evidence = FileEvidence(path, record, lines, hits.get(path, {}), tuple(frames_by_path.get(path, ())))
        scored.extend(rank_file(query, evidence, idfs))
    selected = select(scored)
    pinned_first = [s for s in selected if s.pinned]
    chunks = []
    for path, start, end, symbol, kind, score in full_text:
        lines = file_lines.get(path) if path in file_lines else _read_lines(root / path, max_bytes)
        if lines is None or path in pinned_paths or start > len(lines):
            continue
        file_lines[path] = lines
        end = min(end, len(lines))
        hit_lines = tuple(sorted((line, float(len(t))) for line, t in hits.get(path, {}).items() if start <= line <= end))
        chunks.append(Scored(path, start, end, symbol, kind, round(score, 3),  # type: ignore[arg-type]
                             (f"full-text match (BM25 {score:.1f})",), lines, hit_lines))
    def needs(path: str, start: int, end: int) -> list[tuple[int, int, str]]:
        f = indexed.get(path)
        record = records.get((f.blob, f.language or "")) if f else None
        return companions(record, file_lines[path], start, end) if record and path in file_lines else []

    fused = fuse([s for s in selected if not s.pinned], chunks, documents)
    for at, item in enumerate(fused[:WIDEN_TOP]):
        holder = indexed.get(item.path)
        record = records.get((holder.blob, holder.language or "")) if holder else None
        if record is not None:
            fused[at] = widen(item, record, int(budget * WIDEN_SHARE), int(budget * WHOLE_FILE_SHARE))
    return pack(pinned_first + fused, budget, needs)


def _pinned_regions(query: Query, root: Path, path: str, indexed: dict[str, RepoFile],
                    records: dict[tuple[str, str], FileRecord], hits: dict[str, dict[int, dict[int, int]]],
                    frames_by_path: dict[str, list[tuple[Frame, int]]], idfs: list[float], budget: int, count: int,
                    max_bytes: int) -> list[Scored]:
    """A pinned file: one whole-file region when it fits its share of the budget, else its best regions."""
    lines = _read_lines(root / path, max_bytes * 10)
    if lines is None:
        return []
    f = indexed.get(path)
    record = records.get((f.blob, f.language or "")) if f else None
    record = record or FileRecord(None, None, len(lines))
    evidence = FileEvidence(path, record, lines, hits.get(path, {}), tuple(frames_by_path.get(path, ())), pinned=True)
    parts = rank_file(query, evidence, idfs)
    best = max((p.score for p in parts), default=0.0)
    whole = estimate_tokens(region_text(lines, 1, len(lines))) if lines else 0
    if lines and whole <= budget // max(1, count):
        hit_lines = tuple(h for p in parts for h in p.hit_lines)
        why = ("pinned", *dict.fromkeys(w for p in parts for w in p.why))
        return [Scored(path, 1, len(lines), None, "file", round(best, 3), why[:6], lines, hit_lines, True)]
    if not parts and lines:
        parts = [Scored(path, 1, len(lines), None, "file", 0.0, ("pinned",), lines, (), True)]
    return [Scored(p.path, p.start, p.end, p.symbol, p.kind, p.score, ("pinned", *p.why)[:6], p.lines, p.hit_lines, True)
            for p in parts]
