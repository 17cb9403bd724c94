"""A rerun that reads only the lines of its list that changed, from the build cache the last run left in OUTPUT."""
from __future__ import annotations

import array
import bisect
import contextlib
import datetime
import gc
import hashlib
import io
import itertools
import json
import marshal
import mmap
import os
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Generic, NamedTuple, TypeVar

from dumb_pypi import __version__, plan, render
from dumb_pypi.errors import DumbPypiError, InputError
from dumb_pypi.inputs import Problems, Sourced, collect, read_json_lines, read_plain
from dumb_pypi.model import Package, Project, make_project
from dumb_pypi.publish import (
    JOURNAL_NAME, MANIFEST_NAME, PACKAGES_JSON, Manifest, Output, Staged, edit_paths, locked, scan_json_string,
)
from dumb_pypi.render import Site
from dumb_pypi.settings import Settings, Summary
from dumb_pypi import unchanged
from dumb_pypi.unchanged import Bytes, mapped, mapped_hashed, read_hashed, reading, sha256_of

# A dot-file, like the manifest: the nginx config denies dot-files, and the S3
# script does not sync them.
CACHE_NAME = ".dumb-pypi-cache"
# The layout of the cache; another layout is no cache.
FORMAT = 6
_BOM = b"\xef\xbb\xbf"
T = TypeVar("T")

# What the cache keeps of a project: its row in the listings, its releases in
# the changelog (render.Row and render.Update as plain tuples), how many
# files it has, their filenames, to find its records in packages.json, and
# its releases' versions, which name its pages (each list joined by newlines,
# which neither can hold: one string loads faster than many).
Listed = tuple[tuple[Any, ...], tuple[tuple[Any, ...], ...], int, str, str]
# What the cache keeps of the list: its bytes; for each line, the project it
# names, as its number among the projects in name order (from 1; 0 for a
# blank line, a comment, or an entry that was skipped), all in one array; and
# for the few lines that gave warnings, by line number, the warnings:
# (message, whether the entry was skipped).
Warnings = tuple[tuple[str, bool], ...]


# What reruns run with leave=True read and made: never freed (see cli.run).
_LEFT: list[object] = []


class Recorded(Problems):
    """Problems that keeps what it reports by line, for the manifest: a rerun on the same list reports it again unread."""

    def __init__(self, strict: bool, warn: Callable[[str], None]) -> None:
        super().__init__(strict, warn)
        self.refusals: list[tuple[int, str, bool]] = []

    def refuse(self, path: str, line: int, message: str, *, skipped: bool = True) -> None:
        self.refusals.append((line, message, skipped))
        super().refuse(path, line, message, skipped=skipped)


class _Kept(Problems):
    """Problems that only keeps what it is told, to be reported later in line order."""

    def __init__(self) -> None:
        super().__init__(False, lambda message: None)
        self.refusals: list[tuple[int, str, bool]] = []

    def refuse(self, path: str, line: int, message: str, *, skipped: bool = True) -> None:
        self.refusals.append((line, message, skipped))


def empty_index(settings: Settings, name: str, skipped: int) -> DumbPypiError:
    """Why a list with no files is not published (see --allow-empty)."""
    if settings.package_dir is not None:
        what = f"{settings.package_dir} has no distribution files"
    else:
        counted = f" ({skipped} entries skipped)" if skipped else ""
        what = f"{name}: the list has no files{counted}"
    return DumbPypiError(
        f"{what}; refusing to publish an empty index"
        " (an empty listing is usually an upstream failure; use --allow-empty to build one on purpose)"
    )


def _dumps(cache: dict[str, Any]) -> bytes:
    """The cache's header bytes: the same for equal caches made in the same order (marshal's version 2 shares no objects)."""
    return marshal.dumps(cache, 2)


# The cache file: the length of its header, the header (marshal), zeros up to
# the next multiple of _ALIGN, then the list's bytes as they are: a full build
# streams the list from its file into the cache, never holding it whole (a
# million lines are 300 MB), and a rerun maps them rather than reads them,
# which a mapping must start at a multiple of the page size for.
_LENGTH = struct.Struct("<Q")
_ALIGN = 1 << 16


def _padding(header: bytes) -> int:
    return -(_LENGTH.size + len(header)) % _ALIGN


def _cache_size(header: bytes, data: int) -> int:
    """The size of a cache file of this header and `data` bytes of list."""
    return _LENGTH.size + len(header) + _padding(header) + data


class CacheFile(NamedTuple):
    """A build cache to write: its header, a callable that gives the list's bytes in pieces, and its whole size."""

    header: bytes
    data: Callable[[], Iterator[bytes]]
    size: int

    def pieces(self) -> Iterator[bytes]:
        yield _LENGTH.pack(len(self.header))
        yield self.header
        yield bytes(_padding(self.header))
        yield from self.data()


def parse_cache(content: bytes) -> Any:
    """What a cache file holds: its header, with the list's bytes as "data" (raises ValueError, EOFError, struct.error)."""
    (length,) = _LENGTH.unpack_from(content)
    header = content[_LENGTH.size:_LENGTH.size + length]
    cache = marshal.loads(header)
    if isinstance(cache, dict):
        cache["data"] = content[_LENGTH.size + length + _padding(header):]
    return cache


def cache_bytes(cache: dict[str, Any]) -> bytes:
    """The bytes of a cache file that holds `cache` (the list's bytes as "data"): parse_cache read backwards."""
    return b"".join(_cache_file({key: value for key, value in cache.items() if key != "data"}, cache["data"]).pieces())


def _cache_file(header: dict[str, Any], data: bytes) -> CacheFile:
    encoded = _dumps(header)
    return CacheFile(encoded, lambda: iter((data,)), _cache_size(encoded, len(data)))


def read_record(
    settings: Settings, problems: Recorded, projects: int, files: int, cache: int | None, size: int,
) -> dict[str, Any]:
    """What the manifest keeps of reading the list: what a rerun on the same list prints, the list's size, and the build cache's size.

    The manifest vouches for the cache (with the input list's hash and the
    cache's size): a cache that is not the one the last run wrote is no cache.
    """
    return {
        "reading": reading(settings), "projects": projects, "files": files, "skipped": problems.count,
        "warnings": [list(refusal) for refusal in problems.refusals],
        # Its size: a cache cut short, or another run's, is not this one.
        "cache": cache,
        # A list of another size is surely another list (see unchanged.rerun).
        "size": size,
    }


def split_lines(data: bytes) -> list[bytes] | None:
    """The lines of a list as the readers number them; None for a list whose last line has no newline.

    Such a last line reads differently where it ends the list (it looks cut
    off), so such a list is read whole.
    """
    data = data.removeprefix(_BOM)
    if data and not data.endswith(b"\n"):
        return None
    return data.split(b"\n")[:-1]


def _listed(project: Project, row: render.Row, updates: Sequence[render.UpdateFields]) -> Listed:
    return (
        tuple(row), tuple(tuple(u) for u in updates), len(project.files),
        "\n".join(f.filename for f in project.files), "\n".join(r.version for r in project.releases),
    )


class _Parsed(NamedTuple):
    entries: list[Sourced]
    refusals: dict[int, list[tuple[str, bool]]]  # by line number
    error: InputError | None


def _parse(numbered: Sequence[tuple[int, bytes]], name: str, json_lines: bool) -> _Parsed:
    """Read some lines of the list, (number from 1, bytes) in order, as reading the whole list reads them."""
    if not numbered:
        return _Parsed([], {}, None)
    numbers = [number for number, _ in numbered]
    kept = _Kept()
    reader = read_json_lines if json_lines else read_plain
    # Every line given has its newline, as every line of the list has.
    stream = io.BytesIO(b"\n".join(line for _, line in numbered) + b"\n")
    entries = []
    error = None
    try:
        for entry in reader(stream, name, kept, start=False):
            entries.append(entry._replace(line=numbers[entry.line - 1]))
    except InputError as e:
        error = InputError(name, numbers[e.line - 1], e.message)
    refusals: dict[int, list[tuple[str, bool]]] = {}
    for line, message, skipped in kept.refusals:
        refusals.setdefault(numbers[line - 1], []).append((message, skipped))
    return _Parsed(entries, refusals, error)


class EntryLines(NamedTuple):
    """The line of each entry a build read, and its project's name."""

    lines: Sequence[int]
    names: Sequence[str]


def cache_of(
    path: str, settings: Settings, sha: str, entries: EntryLines, refusals: Iterable[tuple[int, str, bool]],
    listed: Iterable[tuple[Project, render.Row, Sequence[render.UpdateFields]]], name: str,
) -> CacheFile | None:
    """The build cache of a build that read the list at `path` (of sha256 `sha`); None for a list that a rerun reads whole anyway.

    The list is read in pieces, here and again when the cache is written;
    if its bytes are no longer the ones the build read, writing fails
    (ValueError) and the run leaves no cache.
    """
    kept = {project.name: _listed(project, row, updates) for project, row, updates in listed}
    ids: dict[str, int] = {project: number for number, project in enumerate(kept, 1)}
    count = 0
    size = 0
    last = b"\n"
    for piece in _pieces(path):
        count += piece.count(b"\n")
        size += len(piece)
        last = piece[-1:] or last
    if last != b"\n":
        return None  # see split_lines
    of_line = array.array("i", bytes(4 * count))
    for line, project in zip(entries.lines, entries.names):
        of_line[line - 1] = ids[project]
    warned: dict[int, list[tuple[str, bool]]] = {}
    for line, message, skipped in refusals:
        warned.setdefault(line, []).append((message, skipped))
    # A line that gave no entry of its own: blank, a comment, skipped, or a
    # file listed again; the last must be read again for its project.
    unread = {n for n, project in enumerate(of_line, 1) if not project}
    if unread:
        lines = _some_lines(path, unread)
        pending = [(n, lines[n]) for n in sorted(unread) if lines[n].strip()]
        for entry in _parse(pending, name, settings.package_list_json is not None).entries:
            of_line[entry.line - 1] = ids[entry.package.name]
    header = _dumps({
        "format": FORMAT,
        "dumb-pypi": __version__,
        "python": sys.version,
        "input": sha,
        "reading": reading(settings),
        "lines": of_line.tobytes(),
        "warnings": {number: tuple(warned[number]) for number in sorted(warned)},
        "projects": kept,
    })

    def data() -> Iterator[bytes]:
        check = hashlib.sha256()
        for piece in _pieces(path, check):
            yield piece
        if check.hexdigest() != sha:
            raise ValueError(f"{path} changed while the index was built")

    return CacheFile(header, data, _cache_size(header, size))


def _pieces(path: str, check: Any = None) -> Iterator[bytes]:
    """The list's bytes without a byte-order mark, a megabyte at a time; `check` (a hash) is given every byte."""
    with open(path, "rb") as f:
        first = True
        while piece := f.read(1 << 20):
            if check is not None:
                check.update(piece)
            if first:
                first = False
                while len(piece) < len(_BOM) and _BOM.startswith(piece) and (more := f.read(1 << 20)):
                    if check is not None:
                        check.update(more)
                    piece += more
                piece = piece.removeprefix(_BOM)
            yield piece


def _some_lines(path: str, wanted: set[int]) -> dict[int, bytes]:
    """Lines of the list by number (from 1), for the few numbers wanted."""
    found: dict[int, bytes] = {}
    number = 0
    rest = b""
    for piece in _pieces(path):
        lines = (rest + piece).split(b"\n")
        rest = lines.pop()
        for line in lines:
            number += 1
            if number in wanted:
                found[number] = line
    return found


# How far two lists are compared at once; then a sixteenth as far, and so on.
_STEP = 1 << 16


def _common_prefix(a: Bytes, b: Bytes) -> int:
    """How many bytes a and b start with alike: slices compared in C, a few at each step size."""
    limit = min(len(a), len(b))
    alike = 0
    step = _STEP
    while step:
        while alike + step <= limit and a[alike:alike + step] == b[alike:alike + step]:
            alike += step
        step >>= 4
    return alike


def _count_lines(data: Bytes, start: int, end: int) -> int:
    """How many newlines data[start:end] holds, counted a megabyte at a time (a mapping cannot count)."""
    return sum(data[at:min(at + (1 << 20), end)].count(b"\n") for at in range(start, end, 1 << 20))


def _lines_near(data: Bytes, wanted: Sequence[int], low: int, low_at: int, high: int, high_at: int) -> dict[int, bytes]:
    """Lines of `data` by index (from 0), found by walking out from line `low` (at byte low_at) down and from `high` up.

    A changed project's other lines mostly sit next to the lines that
    changed: splitting the whole list to find them would cost more.
    """
    found = {}
    line, at = low, low_at
    for index in sorted((i for i in wanted if i < low), reverse=True):
        while line > index:
            at = data.rfind(b"\n", 0, at - 1) + 1
            line -= 1
        found[index] = data[at:_index(data, at)]
    line, at = high, high_at
    for index in sorted(i for i in wanted if i >= high):
        while line < index:
            at = _index(data, at) + 1
            line += 1
        found[index] = data[at:_index(data, at)]
    return found


def _index(data: Bytes, at: int) -> int:
    """Where the first newline from `at` is; raises ValueError where none is (bytes.index, which a mapping lacks)."""
    found = data.find(b"\n", at)
    if found < 0:
        raise ValueError("a line without its newline")
    return found


def _starts_line(data: Bytes, at: int) -> bool:
    return at == 0 or data[at - 1] == 10


def _common_suffix(a: Bytes, b: Bytes, limit: int) -> int:
    """How many bytes, up to `limit`, a and b end with alike."""
    alike = 0
    step = _STEP
    while step:
        while alike + step <= limit and a[len(a) - alike - step:len(a) - alike] == b[len(b) - alike - step:len(b) - alike]:
            alike += step
        step >>= 4
    return alike


def _load(output: Output, manifest: Manifest, settings: Settings) -> dict[str, Any] | None:
    """The cache, if it describes the list of the last run, read as this run reads; else None."""
    try:
        with open(output.root / CACHE_NAME, "rb") as f:
            if os.fstat(f.fileno()).st_size != manifest.read.get("cache"):
                return None
            (length,) = _LENGTH.unpack(f.read(_LENGTH.size))
            # marshal.load(f) would read the file in small pieces.
            header = f.read(length)
            cache = marshal.loads(header)
            if isinstance(cache, dict):
                cache["data"] = mapped(f, _LENGTH.size + length + _padding(header))
    except (OSError, ValueError, EOFError, TypeError, struct.error):
        return None
    if not (
        isinstance(cache, dict)
        and cache.get("format") == FORMAT
        and cache.get("dumb-pypi") == __version__
        and cache.get("python") == sys.version
        and cache.get("input") == manifest.lists.get("input")
        and cache.get("reading") == reading(settings)
        and isinstance(cache.get("data"), (bytes, mmap.mmap))
        and isinstance(cache.get("lines"), bytes)
        and isinstance(cache.get("warnings"), dict)
        and isinstance(cache.get("projects"), dict)
    ):
        return None
    return cache


def _filename_of(line: str) -> str:
    """The filename of a line of packages.json, which each record names first."""
    if not line.startswith('{"filename":"'):
        raise ValueError(f"not a record of packages.json: {line[:80]!r}")
    return str(scan_json_string(line, 13)[0])


def _listed_rows(projects: Iterable[Listed]) -> tuple[list[render.Row], list[tuple[render.UpdateFields, ...]]]:
    rows = []
    updates = []
    for row, changes, _, _, _ in projects:
        rows.append(render.Row._make(row))
        updates.append(changes)
    return rows, updates


def _listings(
    old: dict[str, Listed], new: dict[str, Listed], changed: Iterable[str], site: Site,
) -> tuple[render.Listing, render.Listing]:
    """The listings of the last run and of this one, which share the rows of the projects that did not change."""
    old_rows, old_updates = _listed_rows(old.values())
    if old.keys() != new.keys():
        return render.Listing(old_rows, old_updates, site), render.Listing(*_listed_rows(new.values()), site)
    rows, updates = list(old_rows), list(old_updates)
    at = {name: i for i, name in enumerate(old)}
    for name in changed:
        [(row,), (changes,)] = _listed_rows([new[name]])
        rows[at[name]], updates[at[name]] = row, changes
    return render.Listing(old_rows, old_updates, site), render.Listing(rows, updates, site)


def site_of(settings: Settings, now: datetime.datetime | None) -> Site:
    """What every page needs of the settings."""
    return Site(
        packages_url=settings.files_url(),
        title=settings.title,
        logo=settings.logo,
        logo_width=settings.logo_width,
        generated=(now or datetime.datetime.now(datetime.timezone.utc)) if settings.generate_timestamp else None,
        per_release_json=settings.per_release_json,
        site_url=None if settings.site_url is None else settings.site_url.rstrip("/") + "/",
    )


def rebuild(
    settings: Settings,
    warn: Callable[[str], None] = lambda message: None,
    notice: Callable[[str], None] = lambda message: None,
    now: datetime.datetime | None = None,
    leave: bool = False,
) -> Summary | None:
    """A partial build from the build cache (see `build`); None when the run must read its list whole.

    `leave` True keeps what the build read and made, never freed: the process
    ends right after (see cli.run).
    """
    # The cache is millions of objects and no cycles, which the garbage
    # collector would walk again and again as it loads.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return build(settings, Recorded(settings.strict, warn), site_of(settings, now), notice, leave)
    finally:
        unchanged.forget()
        if collecting:
            gc.enable()


def build(
    settings: Settings,
    problems: Recorded,
    site: Site,
    notice: Callable[[str], None],
    leave: bool = False,
) -> Summary | None:
    """Rebuild what the lines that changed since the last run touch; None when the run must read its list whole.

    It must: with no previous list, no usable build cache, a list from
    standard input, --package-dir, a previous list that is not the last
    run's, or other settings.
    """
    path = settings.package_list_json or settings.package_list
    previous = settings.previous_package_list_json or settings.previous_package_list
    if (
        settings.package_dir is not None or path in (None, "-") or previous in (None, "-")
        or settings.files_url() is None
        or not (settings.output_dir / CACHE_NAME).is_file()
    ):
        return None
    assert path is not None and previous is not None
    with locked(settings.output_dir, settings.lock_wait) as output:
        if (output.root / JOURNAL_NAME).exists():
            return None
        # Not its paths: they are edited as text (publish.edit_paths).
        manifest = output.read_manifest(paths=False)
        if manifest is None or manifest.settings != settings.output_settings() or "warnings" not in manifest.read:
            return None
        try:
            if sha256_of(previous) not in manifest.lists.values():
                return None
            with open(path, "rb") as f:
                data, sha = read_hashed(f)
        except OSError:
            return None  # the build names what it cannot read
        cache = _load(output, manifest, settings)
        if cache is None:
            notice("the build cache does not describe the last run: reading the whole list")
            return None
        try:
            return _rebuild(settings, problems, site, output, manifest, cache, path, data, sha, leave)
        except _Damaged as e:
            notice(f"the build cache or packages.json is not what the last run wrote ({e}): reading the whole list")
            return None


class _Damaged(Exception):
    pass


def _rebuild(
    settings: Settings, problems: Recorded, site: Site, output: Output, manifest: Manifest,
    cache: dict[str, Any], name: str, data: bytes, sha: str, leave: bool,
) -> Summary | None:
    json_lines = settings.package_list_json is not None
    text = data.removeprefix(_BOM)
    if text and not text.endswith(b"\n"):
        return None  # see split_lines
    old: Bytes = cache["data"]
    old_projects: dict[str, Listed] = cache["projects"]
    try:
        of_line = array.array("i")
        of_line.frombytes(cache["lines"])
        # A line for each number: the size the manifest holds vouches for the rest.
        if old[-1:] not in (b"", b"\n") or len(of_line) > len(old):
            raise ValueError("the lines and their projects do not match")
        names = ["", *old_projects]
        # The lines that changed: what lies between the longest common start
        # and end of the two lists, in whole lines. A list is mostly the same
        # from one run to the next, in the same order (aws s3 ls sorts it).
        start = _common_prefix(old, text)
        start = old.rfind(b"\n", 0, start) + 1
        end = len(text) - _common_suffix(old, text, min(len(old), len(text)) - start)
        old_end = end + len(old) - len(text)
        if not (_starts_line(text, end) and _starts_line(old, old_end)):
            # One line into the common end, where a line starts in both.
            end = text.find(b"\n", end) + 1
            old_end = end + len(old) - len(text)
        # Counted on the shorter side of `start`.
        if start < len(old) // 2:
            before = _count_lines(old, 0, start)
        else:
            before = len(of_line) - _count_lines(old, start, len(old))
        gone = _count_lines(old, start, old_end)
        added = text[start:end].split(b"\n")[:-1]
        shift = len(added) - gone
        total = len(of_line) + shift
        # Lines between may have only moved (a list in another order): the
        # project of a line the last list had is known, and only the others
        # are read.
        known: dict[bytes, int] = dict(zip(old[start:old_end].split(b"\n"), of_line[before:before + gone]))
        old_warned: dict[int, Warnings] = cache["warnings"]
        moved_warned = {
            old[start:old_end].split(b"\n")[number - before - 1]: warnings
            for number, warnings in old_warned.items() if before < number <= before + gone
        }
        new = _parse([(n, line) for n, line in enumerate(added, before + 1) if line not in known], name, json_lines)
        removed = known.keys() - set(added)
        changed: set[str] = {e.package.name for e in new.entries}
        changed.update(names[known[line]] for line in removed)
        changed.discard("")
        # Every other line of a changed project is read again: its files, in
        # line order, make the project, and a filename listed twice is found.
        wanted = {i for i, project in enumerate(names) if project in changed}
        others = [
            i for i in itertools.compress(range(len(of_line)), map(wanted.__contains__, of_line))
            if not before <= i < before + gone
        ]
        old_lines = _lines_near(old, others, before, start, before + gone, old_end)
        again = _parse(sorted(
            [(i + 1 + (shift if i >= before else 0), old_lines[i]) for i in others]
            + [(n, line) for n, line in enumerate(added, before + 1) if known.get(line, 0) in wanted]
        ), name, json_lines)
        entries = sorted(new.entries + again.entries, key=lambda e: e.line)
        # A project whose lines were spelled anew is the same project if its
        # files are: it is not written again.
        files_before: dict[str, set[Package]] = {}
        files_now: dict[str, set[Package]] = {}
        for entry in _parse(list(enumerate(sorted(removed), 1)), name, json_lines).entries:
            files_before.setdefault(entry.package.name, set()).add(entry.package)
        for entry in new.entries:
            files_now.setdefault(entry.package.name, set()).add(entry.package)
        for entry in again.entries:
            files_before.setdefault(entry.package.name, set()).add(entry.package)
            files_now.setdefault(entry.package.name, set()).add(entry.package)
        changed = {project for project in changed if files_before.get(project) != files_now.get(project)}
        warned: dict[int, Warnings] = {
            number + (shift if number > before else 0): warnings
            for number, warnings in old_warned.items() if not before < number <= before + gone
        }
        warned.update((n, moved_warned[line]) for n, line in enumerate(added, before + 1) if line in moved_warned)
        warned.update((number, tuple(refusals)) for number, refusals in new.refusals.items())
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise _Damaged(f"{type(e).__name__}: {e}") from None

    errors = [e for e in (new.error, again.error) if e is not None]
    files: list[Sourced] = []
    try:
        files = collect(iter(entries))
    except InputError as e:
        errors.append(e)
    error = min(errors, key=lambda e: e.line, default=None)
    files = [entry for entry in files if entry.package.name in changed]
    plan_ = None if error is not None else _plan(output, manifest, site, changed, old_projects, files)
    # Warnings and errors come as reading the whole list gives them: in line
    # order, up to the first error (a file listed again is an error once its
    # line is read; a line that cannot be read gives no warning).
    last = total + 1 if error is None else error.line if error in (new.error, again.error) else error.line + 1
    for number in sorted(warned):
        if number >= last:
            break
        for message, skipped in warned[number]:
            problems.refuse(name, number, message, skipped=skipped)
    if error is not None:
        raise error
    assert plan_ is not None
    if plan_.files == 0 and not settings.allow_empty:
        raise empty_index(settings, name, problems.count)

    writes = [page.path for page in plan_.pages]
    output.check([*writes, *plan_.stale, PACKAGES_JSON])
    if writes or plan_.stale or plan_.packages_json is not None:
        output.begin(plan_.added)
    # packages.json and the cache go to temp files on other threads while
    # this one makes the cache's header and renders the pages: writing and
    # hashing free the interpreter's lock. They are put in place after the
    # pages, as a full build does.
    staging: list[_Background[tuple[Staged | None, str | None]]] = []
    try:
        staging.append(_Background(lambda: _stage_packages_json(output, plan_.packages_json)))
        cache_file = _next_cache(cache, plan_.projects, sha, of_line, before, gone, added, known, new, warned, text)
        staging.append(_Background(lambda: (output.stage(CACHE_NAME, cache_file.pieces()), None)))
        # Project pages first, then the listings that link them, then
        # deletions, then packages.json.
        for page in plan_.pages:
            output.write(page.path, page.render())
        output.delete_all(plan_.stale)
        (packages_staged, packages_sha), (cache_staged, _) = (job.result() for job in staging)
    except BaseException:
        for job in staging:
            with contextlib.suppress(BaseException):
                staged, _ = job.result()
                if staged is not None:
                    staged.discard()
        raise
    assert cache_staged is not None
    written = len(plan_.pages)
    if packages_staged is not None:
        packages_staged.commit()
        written += 1
    else:
        packages_sha = manifest.lists.get("packages")
    lists = {"input": sha}
    if packages_sha is not None:
        lists["packages"] = packages_sha
    read = read_record(settings, problems, len(plan_.projects), plan_.files, cache_file.size, len(data))
    # The cache before the manifest: the manifest names the list the cache must describe.
    cache_staged.commit()
    output.write_manifest(Manifest(settings.output_settings(), frozenset(), lists, read), plan_.paths)
    output.end()
    if leave:
        # Freeing the cache and the listings object by object costs a tenth
        # of a rerun at 100,000 files.
        _LEFT.append(locals())
    return Summary(
        projects=len(plan_.projects), files=plan_.files, skipped=problems.count,
        written=written, deleted=output.deleted, partial=True,
    )


def _next_cache(
    cache: dict[str, Any], projects: dict[str, Listed], sha: str, of_line: array.array[int], before: int, gone: int,
    added: list[bytes], known: dict[bytes, int], new: _Parsed, warned: dict[int, Warnings], text: bytes,
) -> CacheFile:
    """The cache, as a full build of this list would make it, given what the rerun found (see _rebuild)."""
    ids = {project: number for number, project in enumerate(projects, 1)}
    by_number = {e.line: ids[e.package.name] for e in new.entries}
    old_projects: dict[str, Listed] = cache["projects"]
    renumber = list(range(len(old_projects) + 1))
    if projects.keys() != old_projects.keys():
        # Projects came or went: the others' numbers moved.
        renumber = [0, *(ids.get(project, 0) for project in old_projects)]
        of_line = array.array("i", [renumber[i] for i in of_line])
    of_line[before:before + gone] = array.array("i", [
        renumber[known[line]] if line in known else by_number.get(n, 0) for n, line in enumerate(added, before + 1)
    ])
    header = {key: value for key, value in cache.items() if key != "data"}
    return _cache_file({
        **header, "input": sha, "lines": of_line.tobytes(),
        "warnings": {number: warned[number] for number in sorted(warned)}, "projects": projects,
    }, text)


def _stage_packages_json(output: Output, packages_json: list[bytes] | None) -> tuple[Staged | None, str | None]:
    """packages.json staged (see Output.stage), if it changes, and its sha256."""
    if packages_json is None:
        return None, None
    sha256 = hashlib.sha256()
    for piece in packages_json:
        sha256.update(piece)
    return output.stage(PACKAGES_JSON, packages_json), sha256.hexdigest()


class _Background(Generic[T]):
    """A call run on another thread: result() waits for it, and raises what it raised."""

    def __init__(self, call: Callable[[], T]) -> None:
        self._outcome: list[T] = []
        self._error: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(call,), name="dumb-pypi-stage", daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], T]) -> None:
        try:
            self._outcome.append(call())
        except BaseException as e:
            self._error.append(e)

    def result(self) -> T:
        self._thread.join()
        if self._error:
            raise self._error[0]
        return self._outcome[0]


class _Plan(NamedTuple):
    projects: dict[str, Listed]  # every project, in name order
    files: int
    pages: list[plan.Page]  # to write, in order
    stale: set[str]  # to delete
    added: set[str]  # paths the last run did not write
    paths: str  # the manifest's paths line
    packages_json: list[bytes] | None  # the new bytes, in pieces, if they change


def _plan(
    output: Output, manifest: Manifest, site: Site, changed: set[str], old_projects: dict[str, Listed],
    files: Sequence[Sourced],
) -> _Plan:
    """What a rerun writes and deletes; raises _Damaged where the cache or packages.json are not what they must be."""
    try:
        grouped: dict[str, list[Package]] = {}
        for entry in files:
            grouped.setdefault(entry.package.name, []).append(entry.package)
        projects = [make_project(packages) for packages in grouped.values()]
        new_projects = dict(old_projects)
        for gone in changed - grouped.keys():
            new_projects.pop(gone, None)
        for project in projects:
            new_projects[project.name] = _listed(project, *render.project_listing(project))
        if new_projects.keys() != old_projects.keys():
            new_projects = {k: new_projects[k] for k in sorted(new_projects)}

        old_listing, new_listing = _listings(old_projects, new_projects, changed, site)
        project_pages = [page for project in projects for page in plan.project_pages(project, site)]
        now_paths = {page.path for page in project_pages}
        listing_paths = {page.path for page in plan.listing_pages(new_listing)}
        # What the last run wrote for the changed projects: the manifest
        # holds no other path of theirs, since every run since the last full
        # build kept it exact.
        before = {
            path for project in changed if project in old_projects
            for path in plan.project_paths(project, old_projects[project][4].split("\n"), site)
        }
        old_listing_paths = {page.path for page in plan.listing_pages(old_listing)}
        stale = (before - now_paths) | (old_listing_paths - listing_paths)
        added = (now_paths - before) | (listing_paths - old_listing_paths)
        return _Plan(
            projects=new_projects,
            files=sum(p[2] for p in new_projects.values()),
            pages=project_pages + plan.listing_pages(new_listing, old_listing),
            stale=stale,
            added=added,
            # A path of the cache's that the manifest lacks raises ValueError.
            paths=edit_paths(output.read_manifest_paths(), stale, added),
            packages_json=_packages_json(output, manifest, changed, old_projects, projects) if changed else None,
        )
    except (KeyError, TypeError, ValueError, IndexError, OSError) as e:
        raise _Damaged(f"{type(e).__name__}: {e}") from None


def _packages_json(
    output: Output, manifest: Manifest, changed: set[str], old_projects: dict[str, Listed], projects: Iterable[Project],
) -> list[bytes]:
    """packages.json with the records of the changed projects replaced, in pieces to write in order.

    It is sorted by filename, one record a line: each record to drop or add
    is found by bisection in the bytes as they are, never split into lines.
    """
    try:
        with open(output.root / PACKAGES_JSON, "rb") as f:
            # Hashed already, as a rule: it is the previous list.
            data, sha = mapped_hashed(f)
    except OSError as e:
        raise _Damaged(f"cannot read {PACKAGES_JSON}: {e.strerror}") from None
    if sha != manifest.lists.get("packages"):
        raise _Damaged(f"{PACKAGES_JSON} changed since the last run")
    # Where in the old bytes, whether to drop the line there (1) or add one before it (0), and the line's filename and bytes.
    edits: list[tuple[int, int, str, bytes]] = []
    for project in changed:
        for filename in old_projects[project][3].split("\n") if project in old_projects else ():
            at = _record_at(data, filename)
            end = data.find(b"\n", at) + 1
            if end == 0 or _filename_of(data[at:end - 1].decode()) != filename:
                raise _Damaged(f"{filename!r} is not in {PACKAGES_JSON}")
            edits.append((at, 1, filename, b""))
    for project_ in projects:
        for package in project_.files:
            record = render.package_line(package).encode()
            edits.append((_record_at(data, package.filename), 0, package.filename, record))
    # Added lines go before the line at their place, in filename order, then that line goes if it is dropped.
    edits.sort()
    # Views of the old bytes, not copies: at a million files they are 150 MB.
    view = memoryview(data)
    pieces: list[bytes] = []
    done = 0
    for at, drop, _, record in edits:
        pieces.append(view[done:at])  # type: ignore[arg-type]
        done = at
        if drop:
            done = data.find(b"\n", at) + 1
        else:
            pieces.append(record)
    pieces.append(view[done:])  # type: ignore[arg-type]
    return pieces


def _record_at(data: Bytes, filename: str) -> int:
    """Where the first line of packages.json whose filename is not before `filename` starts (len(data) if none)."""
    low, high = 0, len(data)  # both where a line starts
    while low < high:
        start = max(low, data.rfind(b"\n", low, (low + high) // 2) + 1)
        end = data.find(b"\n", start) + 1 or len(data)
        if _filename_of(data[start:end].decode().rstrip("\n")) < filename:
            low = end
        else:
            high = start
    return low
