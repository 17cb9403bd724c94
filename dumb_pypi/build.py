"""The core: settings in, an index written; callable as a library, never prints."""
from __future__ import annotations

import array
import datetime
import gc
import hashlib
import itertools
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Generic, NamedTuple, TypeVar

from packaging.utils import NormalizedName

from dumb_pypi import localdist, partial, plan, unchanged
from dumb_pypi.errors import DumbPypiError, InputError
from dumb_pypi.inputs import (
    MAX_LINE, HashingReader, Problems, Slice, Sourced, check_text, check_url, collect, read_json_lines, read_plain,
    replay,
)
from dumb_pypi.localdist import LocalFile
from dumb_pypi.model import Package, Project, forget, group_files, make_project, release_keys
from dumb_pypi.publish import PACKAGES_JSON, Manifest, Output, Staged, locked
from dumb_pypi.workers import MIN_BYTES, MIN_PAGES, Workers, file_identity, spans, started, write_project
from dumb_pypi.partial import Recorded
from dumb_pypi.render import Listing, Site
from dumb_pypi.settings import Settings, Summary, check_settings

# The models of builds run with leave=True: never freed (see cli.run).
_LEFT: list[object] = []
__all__ = ["Settings", "Summary", "build", "check_settings"]
T = TypeVar("T")


def _open(path: str, stdin: IO[bytes] | None) -> tuple[IO[bytes], str]:
    if path == "-":
        return (stdin if stdin is not None else sys.stdin.buffer), "<stdin>"
    try:
        return open(path, "rb"), path
    except OSError as e:
        raise DumbPypiError(f"cannot read {path}: {e.strerror}") from None


class ReadList(NamedTuple):
    entries: list[Sourced]
    sha256: str  # of the list's bytes
    name: str  # as messages name it
    local: list[LocalFile] = []  # --package-dir's files, to publish
    size: int = 0  # of the list's bytes


def read_list(
    path: str, json_lines: bool, problems: Problems, stdin: IO[bytes] | None = None,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    pool: Workers | None = None,
) -> ReadList:
    stream, name = _open(path, stdin)
    try:
        hashing = HashingReader(stream)
        reader = read_json_lines if json_lines else read_plain
        # A part for each worker, and one for this process.
        splits = _splits(stream, pool.jobs + 1) if pool is not None and path != "-" else []
        if len(splits) < 2:
            entries = collect(_counted(reader(hashing, name, problems), progress))
        else:
            # The workers read the other parts while this process reads the
            # first; their entries, warnings and errors then come in line order.
            assert pool is not None
            parts = pool.read_parts(path, splits[1:], json_lines, problems.strict, file_identity(path))
            first = Slice(hashing, 0, splits[0][1])

            def in_order() -> Iterator[Sourced]:
                yield from reader(first, name, problems)
                lines = first.lines
                # The whole list's hash, while the workers read.
                while hashing.read(1 << 20):
                    pass
                for result in parts:
                    for piece in result():
                        yield from replay(piece, name, lines, problems)
                    # (The last piece counts the part's lines.)
                    lines += piece.lines

            entries = collect(_counted(in_order(), progress))
        progress("read", len(entries), 0)
        return ReadList(entries, hashing.hexdigest(), name, size=hashing.size)
    finally:
        if path != "-":
            stream.close()


def _splits(stream: IO[bytes], parts: int) -> list[tuple[int, int]]:
    """Byte ranges of whole lines that cut a list into about `parts` parts; none for a short list."""
    try:
        size = os.fstat(stream.fileno()).st_size
        if size < MIN_BYTES or not stream.seekable():
            return []
        bounds = [0]
        for i in range(1, parts):
            stream.seek(max(bounds[-1], size * i // parts))
            if not stream.readline(MAX_LINE + 2).endswith(b"\n"):
                # A line too long to be read, or the last one: let one reader name it.
                break
            if stream.tell() < size:
                bounds.append(stream.tell())
        stream.seek(0)
    except (OSError, ValueError):
        return []
    bounds.append(size)
    return list(zip(bounds, bounds[1:]))


def _counted(entries: Iterator[Sourced], progress: Callable[[str, int, int], None]) -> Iterator[Sourced]:
    for count, entry in enumerate(entries, 1):
        if count % 10000 == 0:
            progress("read", count, 0)
        yield entry


def _check_urls(entries: list[Sourced], packages_url: str | None) -> None:
    if packages_url is not None:
        return
    for entry in entries:
        if entry.package.url is None:
            raise InputError(
                entry.path, entry.line,
                f"{entry.package.filename!r} has no url of its own, so --packages-url is required",
            )


def _last_run(output_dir: Path, warn: Callable[[str], None]) -> dict[str, Package]:
    """OUTPUT/packages.json of the last run, by filename: the records --package-dir need not read again."""
    path = output_dir / PACKAGES_JSON
    if not path.is_file():
        return {}
    try:
        last = read_list(str(path), True, Problems(False, lambda message: None))
    except DumbPypiError as e:
        warn(f"cannot reuse the last run's records ({e}); reading every file again")
        return {}
    return {e.package.filename: e.package for e in last.entries}


def read_package_dir(settings: Settings, problems: Problems, warn: Callable[[str], None], notice: Callable[[str], None]) -> ReadList:
    """The folder's files as a list; its sha256 is that of the packages.json it gives, the list it is."""
    assert settings.package_dir is not None
    directory = Path(settings.package_dir)
    published = settings.output_dir / localdist.PUBLISHED
    if os.path.realpath(directory) == os.path.realpath(published):
        raise DumbPypiError(
            f"--package-dir {directory} is where the index publishes its files;"
            " give the folder the distributions come from"
        )
    local = localdist.read_dir(directory, _last_run(settings.output_dir, warn), published, problems, notice)
    entries = [Sourced(f.package, str(f.source), 0) for f in local]
    text = plan.packages_json(e.package for e in entries).encode()
    return ReadList(entries, hashlib.sha256(text).hexdigest(), str(directory), local)


def build(
    settings: Settings,
    *,
    warn: Callable[[str], None] = lambda message: None,
    notice: Callable[[str], None] = lambda message: None,
    progress: Callable[[str, int, int], None] = lambda stage, done, total: None,
    stdin: IO[bytes] | None = None,
    now: datetime.datetime | None = None,
    rerun: bool = True,
    leave: bool = False,
) -> Summary:
    """Read the inputs, then write the index; raises DumbPypiError before writing anything on bad input.

    `warn` gets problems with the input, `notice` what the run decided and why,
    `progress` how far a long step has got: ("read", entries read, 0) and
    ("write", project pages written, project pages to write). `rerun` False
    says the caller has found already that this run must read its whole list
    (unchanged.rerun and partial.rebuild say None). `leave` True keeps what
    the build made in memory after it returns, for a caller that ends the
    process at once (cli.run) rather than free it object by object.
    """
    check_settings(settings)
    if rerun:
        summary = unchanged.rerun(settings, warn)
        if summary is not None:
            return summary
        summary = partial.rebuild(settings, warn, notice, now)
        if summary is not None:
            return summary
    problems = Recorded(settings.strict, warn)
    site = partial.site_of(settings, now)
    jobs = settings.jobs or os.cpu_count() or 1
    # Reading makes millions of objects and no cycles, and each collection of
    # the garbage collector would walk all of them again (a tenth of a
    # build's time): it is off until the model is built, which is then frozen
    # so that collections only see what rendering makes.
    collecting = gc.isenabled()
    gc.disable()

    def model_built() -> None:
        gc.freeze()
        if collecting:
            gc.enable()

    try:
        # Workers start before anything is read, so that they share none of the model (see workers.py).
        # --jobs counts this process, which reads and writes too.
        # Some read parts of the list and then end, which gives back to the
        # system what reading made (a process's heap does not shrink); the
        # others write, and hold no more than that needs.
        workers = jobs - 1 if _worth_workers(settings) else 0
        with started(workers) as readers, started(workers) as writers:
            return _build(
                settings, problems, warn, notice, progress, stdin, site, readers, writers, model_built, leave,
            )
    finally:
        gc.unfreeze()
        if collecting:
            gc.enable()


def _read(
    settings: Settings, current: ReadList, problems: Recorded, projects: int, files: int, cache: int | None,
) -> dict[str, Any]:
    """The manifest's record of how the list was read and what that gave (see unchanged.py), and of the build cache."""
    if settings.package_dir is not None:
        return {}
    return partial.read_record(settings, problems, projects, files, cache, current.size)


def _worth_workers(settings: Settings) -> bool:
    path = settings.package_list_json or settings.package_list
    if settings.package_dir is not None or path is None:
        return False
    if path == "-":
        return True  # how long a list is cannot be told before it is read
    try:
        return os.path.getsize(path) >= MIN_BYTES
    except OSError:
        return False


def _build(
    settings: Settings,
    problems: Recorded,
    warn: Callable[[str], None],
    notice: Callable[[str], None],
    progress: Callable[[str, int, int], None],
    stdin: IO[bytes] | None,
    site: Site,
    readers: Workers | None,
    writers: Workers | None,
    model_built: Callable[[], None],
    leave: bool,
) -> Summary:
    if settings.package_dir is not None:
        current = read_package_dir(settings, problems, warn, notice)
    elif settings.package_list_json is not None:
        current = read_list(settings.package_list_json, True, problems, stdin, progress, readers)
    elif settings.package_list is not None:
        current = read_list(settings.package_list, False, problems, stdin, progress, readers)
    else:
        raise DumbPypiError("no input: give --package-list, --package-list-json or --package-dir")
    _check_urls(current.entries, settings.files_url())
    if not current.entries and not settings.allow_empty:
        raise partial.empty_index(settings, current.name, problems.count)

    previous: ReadList | None = None
    previous_path = settings.previous_package_list_json or settings.previous_package_list
    if previous_path is not None and previous_path != "-" and not os.path.exists(previous_path):
        # The first run from cron has no previous list yet.
        warn(f"{previous_path} does not exist: making a full build")
    elif previous_path is not None:
        json_lines = settings.previous_package_list_json is not None
        previous = read_list(previous_path, json_lines, Problems(False, lambda message: None), stdin, pool=readers)
    if readers is not None:
        readers.close()

    packages = [e.package for e in current.entries]
    # Of the entries' places in the list, the build cache needs only each
    # line's project, kept in two flat sequences.
    lines = partial.EntryLines(
        array.array("i", [e.line for e in current.entries]) if _caching(settings) else array.array("i"),
        [e.package.name for e in current.entries] if _caching(settings) else [],
    )
    current = current._replace(entries=[])
    # A full build makes its projects as the writing reaches them (see _Made):
    # what it must know before the first write, their paths, their files give.
    by_name, ranks = group_files(packages)
    made = _Made(by_name, ranks)
    projects: dict[NormalizedName, Project] = {}
    if leave:
        _LEFT.append((packages, made))
    with locked(settings.output_dir, settings.lock_wait) as output:
        manifest = output.read_manifest()
        journal = output.read_journal()
        if journal is not None:
            notice("the last run did not finish: making a full build")
            output.remove_temp_files()
        changed: set[NormalizedName] | None = None
        if previous is not None:
            reason = _why_full(settings, manifest, journal, previous.sha256)
            if reason is None:
                changed = plan.changed_projects(
                    plan.by_project(e.package for e in previous.entries), plan.by_project(packages),
                )
            else:
                notice(f"making a full build: {reason}")

        # Every path this list generates, and what must be written now.
        paths: set[str] = {PACKAGES_JSON}
        page_writes: list[str] = []
        for name, files_of in by_name.items():
            project_paths = plan.project_paths(name, release_keys(files_of), site)
            paths.update(project_paths)
            if changed is None or name in changed:
                page_writes.extend(project_paths)
        project_writes: Iterable[Project] = made
        # A full build works the listing out while the workers write; until
        # then `stale` may hold paths of the listing, which it writes anew.
        listing: Listing | None = None
        index_writes: list[plan.Page] = []
        if changed is not None:
            projects = made.all()
            model_built()
            project_writes = [project for name, project in projects.items() if name in changed]
            listing = Listing.of(list(projects.values()), site)
            index = plan.listing_pages(listing)
            paths.update(page.path for page in index)
            index_writes = index if changed else []
        writes = bool(page_writes or index_writes) or listing is None
        # OUTPUT/packages/FILENAME, and FILENAME.metadata for wheels.
        files: list[tuple[str, Path]] = []
        metadata: list[tuple[str, bytes]] = []
        for f in current.local:
            relpath = f"{localdist.PUBLISHED}/{f.package.filename}"
            paths.add(relpath)
            if not output.is_published(relpath, f.source):
                files.append((relpath, f.source))
            if f.package.core_metadata is not None:
                paths.add(f"{relpath}.metadata")
                if f.metadata is not None:
                    metadata.append((f"{relpath}.metadata", f.metadata))
        owned = (manifest.paths if manifest is not None else frozenset()) | (journal or frozenset())
        stale = owned - paths
        write_packages_json = writes or not (settings.output_dir / PACKAGES_JSON).exists()

        written = 0
        # Made while the list's objects are at hand (and, in a build that
        # writes, while the workers write); written with the manifest, which
        # vouches for it.
        cache: partial.CacheFile | None = None
        if writes or stale or write_packages_json or files or metadata:
            output.check([
                *(relpath for relpath, _ in files), *(relpath for relpath, _ in metadata),
                *page_writes, *(page.path for page in index_writes), *stale, PACKAGES_JSON,
                *(plan.LISTING_PLACES if listing is None else ()),
            ])
            output.begin(path for path in paths if path not in owned)
            # Distribution files first, then project pages, then the indexes
            # that link them, then deletions: a reader never follows a link to
            # a missing file. While workers write the project pages, this
            # process renders the rest and stages packages.json (put in place
            # last of all).
            for relpath, source in files:
                output.publish_file(relpath, source)
            for relpath, data in metadata:
                output.write(relpath, data)
            written = len(files) + len(metadata)
            # Project folders of a new index are made where no reader sees them yet (see Output.hide_new).
            if page_writes:
                output.hide_new(plan.PROJECT_TOPS)
            try:
                writing = _Writing(
                    output, project_writes, len(packages) if listing is None else None, site,
                    writers if len(page_writes) >= MIN_PAGES else None,
                    lambda done: progress("write", done, len(page_writes)),
                )
            except BaseException:
                output.discard_hidden()
                raise
            # Put in place once the project pages are: the listing's pages,
            # packages.json, the build cache. They wait in temp files, not in
            # memory.
            staged_pages: list[Staged] = []
            staged: Staged | None = None
            staged_cache: Staged | None = None
            cache_size: int | None = None
            try:
                if listing is None:
                    projects = made.all()
                    # Every project is made: what parsed their versions is not needed again.
                    forget()
                    model_built()
                    listing = Listing.of(list(projects.values()), site)
                    index_writes = plan.listing_pages(listing)
                    index_paths = {page.path for page in index_writes}
                    output.check(index_paths)
                    output.extend_journal(index_paths - paths - owned)
                    paths |= index_paths
                    stale -= index_paths
                cache = _cache(settings, current, lines, problems, projects, listing)
                staged_cache, cache_size = _stage_cache(output, cache)
                # (Its header is in the temp file now.)
                cache_made, cache = cache is not None, None
                for page in index_writes:
                    staged_pages.append(output.stage(page.path, (page.render().encode(),)))
                packages_sha = None
                if write_packages_json:
                    sha = hashlib.sha256()
                    staged = output.stage(PACKAGES_JSON, _hashed(plan.packages_json_chunks(packages), sha))
                    packages_sha = sha.hexdigest()
                elif manifest is not None:
                    packages_sha = manifest.lists.get("packages")
                written += writing.wait()
                # Pages in a hidden top folder go in with it, before the pages that link into it.
                for page_file in staged_pages:
                    if page_file.hidden:
                        page_file.commit()
                        written += 1
                output.show()
                for page_file in staged_pages:
                    if not page_file.hidden:
                        page_file.commit()
                        written += 1
                output.delete_all(stale)
                if staged is not None:
                    staged.commit()
                    written += 1
                cache_size = _put_cache(output, staged_cache, cache_size, cache_made)
            except BaseException:
                writing.abort()
                output.discard_hidden()
                raise
            finally:
                for left in (*staged_pages, staged, staged_cache):
                    if left is not None:
                        left.discard()
            output.write_manifest(Manifest(
                settings.output_settings(), frozenset(paths), _lists(current.sha256, packages_sha),
                _read(settings, current, problems, len(projects), len(packages), cache_size),
            ))
            output.end()
        else:
            assert listing is not None
            cache = _cache(settings, current, lines, problems, projects, listing)
            if manifest is not None and (
                manifest.lists.get("input") != current.sha256
                or manifest.read != _read(settings, current, problems, len(projects), len(packages), cache and cache.size)
            ):
                # Nothing changed but the list's bytes (or how it was read):
                # remember them, so the next run may take this very list as its
                # previous one, and may tell that it is given the same list again.
                cache_size = _write_cache(output, cache)
                output.write_manifest(manifest._replace(
                    lists=_lists(current.sha256, manifest.lists.get("packages")),
                    read=_read(settings, current, problems, len(projects), len(packages), cache_size),
                ))

    if leave:
        _LEFT.append((paths, listing, lines))
    return Summary(
        projects=len(projects),
        files=len(packages),
        skipped=problems.count,
        written=written,
        deleted=output.deleted,
        partial=changed is not None,
        read=sum(f.read for f in current.local),
    )


def _caching(settings: Settings) -> bool:
    """Whether this run leaves a build cache: for a list read from a file."""
    path = settings.package_list_json or settings.package_list
    return settings.package_dir is None and path is not None and path != "-"


def _cache(
    settings: Settings, current: ReadList, lines: partial.EntryLines, problems: Recorded,
    projects: dict[NormalizedName, Project], listing: Listing,
) -> partial.CacheFile | None:
    """The build cache of this run (see partial.py), for a list read from a file."""
    path = settings.package_list_json or settings.package_list
    if not _caching(settings) or path is None:
        return None
    try:
        return partial.cache_of(
            path, settings, current.sha256, lines, problems.refusals,
            zip(projects.values(), listing.rows, listing.by_project), current.name,
        )
    except OSError:
        return None


def _stage_cache(output: Output, cache: partial.CacheFile | None) -> tuple[Staged | None, int | None]:
    """The build cache in a temp file, to put in place with the manifest, and its size; (None, None) when there is none."""
    if cache is None:
        return None, None
    try:
        return output.stage(partial.CACHE_NAME, cache.pieces()), cache.size
    except (OSError, ValueError):
        return None, None


def _put_cache(output: Output, staged: Staged | None, size: int | None, made: bool) -> int | None:
    """Put a staged build cache in place; its size, or None when there is none.

    `made` says a cache was made: if it could not be written (the list
    changed while the index was built), the last run's goes too.
    """
    if staged is not None:
        try:
            staged.commit()
            return size
        except OSError:
            pass
    if made:
        output.delete(partial.CACHE_NAME)
    return None


def _write_cache(output: Output, cache: partial.CacheFile | None) -> int | None:
    """Write the build cache; its size, or None when there is none (the list changed while the index was built)."""
    return _put_cache(output, *_stage_cache(output, cache), cache is not None)


class _Made:
    """A build's projects, made in name order as they are first asked for, by whichever thread asks.

    The workers start on the first projects while this process makes the
    rest: making every project (sorting its files, cutting its releases)
    is about a twentieth of a build, and the workers would wait for all of it.
    """

    def __init__(self, by_name: dict[NormalizedName, list[Package]], ranks: dict[str, int]) -> None:
        self._pending = iter(by_name.values())
        self._ranks = ranks
        self._made: list[Project] = []
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[Project]:
        made = self._made
        i = 0
        while True:
            if i == len(made):
                with self._lock:
                    if i == len(made):
                        files = next(self._pending, None)
                        if files is None:
                            return
                        made.append(make_project(files, ranks=self._ranks))
            yield made[i]
            i += 1

    def all(self) -> dict[NormalizedName, Project]:
        """Every project, by name, in name order."""
        return {project.name: project for project in self}


class _Writing:
    """Project pages being written: by the workers in the background and by this process, or by this process alone."""

    def __init__(
        self, output: Output, projects: Iterable[Project], files: int | None, site: Site, pool: Workers | None,
        progress: Callable[[int], None],
    ) -> None:
        self._output = output
        self._site = site
        self._pool = pool
        self._progress = progress
        self._failed: list[BaseException] = []
        self._lock = threading.Lock()
        self.done = 0
        self._theirs = 0
        if pool is None:
            for project in projects:
                self._count(write_project(output, project, site))
            return
        if files is None:
            files = sum(len(p.files) for p in projects)
        # Many more runs than processes, so that one large project does not
        # leave the others idle at the end.
        self._spans = _Shared(spans(projects, max(1, files // ((pool.jobs + 1) * 32))))

        def dispatch() -> None:
            try:
                for written in pool.write_projects(output, site, self._spans):
                    self._count(written, theirs=True)
            except BaseException as e:
                self._failed.append(e)

        # The workers are fed from a thread, which mostly waits for them:
        # this process writes a run of its own, then has its other work, then
        # takes runs until none are left.
        self._thread = threading.Thread(target=dispatch, name="dumb-pypi-dispatch", daemon=True)
        self._thread.start()
        self._write_spans(1)

    def _count(self, written: int, theirs: bool = False) -> None:
        with self._lock:
            self.done += written
            self._theirs += written if theirs else 0
            self._progress(self.done)

    def _write_spans(self, limit: int | None) -> None:
        for span in itertools.islice(self._spans, limit):
            if self._failed:
                return
            for project in span:
                self._count(write_project(self._output, project, self._site))

    def wait(self) -> int:
        """The number of pages written, once they all are."""
        if self._pool is not None:
            self._write_spans(None)
            self._thread.join()
            if self._failed:
                self.abort()
                raise self._failed[0]
            self._output.written += self._theirs
        return self.done

    def abort(self) -> None:
        """Stop the workers wherever they are, and remove the temp files they leave (the run still holds the lock)."""
        if self._pool is not None:
            self._pool.kill()
            self._thread.join()
            self._output.remove_temp_files()


class _Shared(Generic[T]):
    """An iterator that two threads can take from."""

    def __init__(self, items: Iterator[T]) -> None:
        self._items = items
        self._lock = threading.Lock()

    def __iter__(self) -> _Shared[T]:
        return self

    def __next__(self) -> T:
        with self._lock:
            return next(self._items)


def _hashed(chunks: Iterable[str], sha: Any) -> Iterator[bytes]:
    for chunk in chunks:
        data = chunk.encode()
        sha.update(data)
        yield data


def _lists(input_sha: str, packages_sha: str | None) -> dict[str, str]:
    lists = {"input": input_sha}
    if packages_sha is not None:
        lists["packages"] = packages_sha
    return lists


def _why_full(settings: Settings, manifest: Manifest | None, journal: frozenset[str] | None, previous_sha: str) -> str | None:
    """Why a run given a previous list must still build everything, or None when it may build partially."""
    if manifest is None:
        return "the output folder has no manifest of an earlier run"
    if journal is not None:
        return "the last run did not finish"
    if manifest.settings != settings.output_settings():
        changed = sorted(k for k in manifest.settings.keys() | settings.output_settings().keys()
                         if manifest.settings.get(k) != settings.output_settings().get(k))
        return f"settings changed since the last run ({', '.join(changed)})"
    if previous_sha not in manifest.lists.values():
        return "the previous list is not the list the last run was built from"
    return None
