"""Partial rebuilds equal full builds; interrupted and concurrent runs; what a run may delete."""
from __future__ import annotations

import fcntl
import html.parser
import json
import marshal
import mmap
import struct
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings, strategies as st

from dumb_pypi import cli, partial, publish, render, unchanged
from tests.support import output_tree
from dumb_pypi.build import Settings, Summary, build
from dumb_pypi.errors import DumbPypiError, LockedError
from dumb_pypi.workers import MIN_BYTES


def tree(root: Path) -> dict[str, Any]:
    """Every file below root (but the lock, which holds nothing) by relative path."""
    return output_tree(root, skip=[publish.LOCK_NAME])


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def write_list(path: Path, records: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


def run(out: Path, listing: str, previous: str | None = None, **overrides: Any) -> Summary:
    options: dict[str, Any] = dict(
        output_dir=out,
        package_list_json=listing,
        previous_package_list_json=previous,
        packages_url="../../pool/",
        generate_timestamp=False,
        allow_empty=True,
        lock_wait=0,
    )
    warn = overrides.pop("warn", lambda message: None)
    options.update(overrides)
    return build(Settings(**options), warn=warn)


# A few spellings that normalise alike, so projects merge and split as lists change.
NAMES = ["alpha", "Alpha.Beta", "alpha_beta", "gamma", "delta-x"]
VERSIONS = ["1.0", "1.00", "1.0.0", "2.0b1", "2.0-beta1", "0.9", "1.0.x"]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(NAMES))
    version = draw(st.sampled_from(VERSIONS))
    kind = draw(st.sampled_from(["sdist", "zip", "wheel"]))
    if kind == "wheel":
        filename = f"{name.replace('-', '_').replace('.', '_')}-{version}-py3-none-any.whl"
    else:
        filename = f"{name}-{version}." + ("tar.gz" if kind == "sdist" else "zip")
    record: dict[str, Any] = {"filename": filename}
    optional = {
        "hash": st.sampled_from(["sha256=" + "a" * 64, "sha256=" + "b" * 64]),
        "requires_python": st.sampled_from([">=3.8", "<4"]),
        "yanked_reason": st.sampled_from(["", "broken"]),
        "size": st.integers(0, 10**6),
        "upload_timestamp": st.sampled_from([1_500_000_000, 1_600_000_000.5]),
        "uploaded_by": st.sampled_from(["ci", "<b>me</b>"]),
        "summary": st.sampled_from(["one", "two"]),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            record[key] = draw(strategy)
    return record


package_lists = st.lists(records(), max_size=10, unique_by=lambda r: str(r["filename"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=package_lists, after=package_lists, per_release=st.booleans())
def test_a_partial_build_is_byte_identical_to_a_full_build(
    tmp_path_factory: pytest.TempPathFactory, before: list[dict[str, Any]], after: list[dict[str, Any]], per_release: bool,
) -> None:
    work = tmp_path_factory.mktemp("partial")
    a = write_list(work / "a.json", before)
    b = write_list(work / "b.json", after)

    run(work / "partial", a, per_release_json=per_release)
    summary = run(work / "partial", b, str(work / "partial" / "packages.json"), per_release_json=per_release)
    assert summary.partial
    run(work / "full", b, per_release_json=per_release)

    assert tree(work / "partial") == tree(work / "full")


def small_index(tmp_path: Path, names: list[str]) -> str:
    return write_list(tmp_path / "list.json", [
        {"filename": f"{n}-{v}.tar.gz", "size": 10, "upload_timestamp": 1_600_000_000 + i}
        for i, n in enumerate(names) for v in ("1.0", "2.0")
    ])


def test_a_partial_build_with_nothing_changed_writes_nothing(tmp_path: Path) -> None:
    listing = small_index(tmp_path, ["one", "two", "three"])
    out = tmp_path / "out"
    run(out, listing, generate_timestamp=True)
    before, stamps = tree(out), mtimes(out)
    time.sleep(0.01)

    summary = run(out, listing, str(out / "packages.json"), generate_timestamp=True)

    assert summary.partial and summary.written == 0 and summary.deleted == 0
    assert mtimes(out) == stamps
    assert tree(out) == before


def test_a_partial_build_rewrites_only_the_changed_project_and_the_listings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, small_index(tmp_path, ["one", "two", "three"]))
    stamps = mtimes(out)
    time.sleep(0.01)

    run(out, small_index(tmp_path, ["one", "two", "four"]), str(out / "packages.json"))

    now = mtimes(out)
    rewritten = {p for p in now if p in stamps and now[p] != stamps[p]}
    assert rewritten == {
        "simple/index.html", "simple/index.v1_json", "index.html", "packages.json",
        "changelog/page1.html", "changelog/index.html", "rss/updates.xml", "search/names.js", "search/rows0.js",
        publish.MANIFEST_NAME, partial.CACHE_NAME,
    }
    assert not (out / "simple" / "three").exists() and not (out / "pypi" / "three").exists()
    assert not (out / "project" / "three").exists()
    assert (out / "simple" / "four" / "index.html").is_file()


def test_a_previous_list_that_is_not_the_last_runs_makes_a_full_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, small_index(tmp_path, ["one", "two"]))
    stranger = write_list(tmp_path / "stranger.json", [{"filename": "one-1.0.tar.gz"}])

    summary = run(out, small_index(tmp_path, ["one", "two", "three"]), stranger)

    assert not summary.partial
    run(tmp_path / "full", str(tmp_path / "list.json"))
    assert tree(out) == tree(tmp_path / "full")


def test_a_changed_setting_makes_a_full_build_and_deletes_what_it_no_longer_writes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    listing = small_index(tmp_path, ["one"])
    run(out, listing)
    assert (out / "pypi" / "one" / "2.0" / "json").is_file()

    summary = run(out, listing, str(out / "packages.json"), per_release_json=False)

    assert not summary.partial
    assert not (out / "pypi" / "one" / "2.0").exists()
    run(tmp_path / "full", listing, per_release_json=False)
    assert tree(out) == tree(tmp_path / "full")


def test_files_dumb_pypi_did_not_write_survive_full_and_partial_builds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "pool").mkdir(parents=True)
    (out / "pool" / "one-1.0.tar.gz").write_bytes(b"a package")
    run(out, small_index(tmp_path, ["one", "two"]))
    (out / "simple" / "two" / "notes.txt").write_text("mine")
    (out / "robots.txt").write_text("mine")

    # "two" disappears (partial), then the title changes (full).
    run(out, small_index(tmp_path, ["one"]), str(out / "packages.json"))
    run(out, str(tmp_path / "list.json"), str(out / "packages.json"), title="Another")

    assert (out / "pool" / "one-1.0.tar.gz").read_bytes() == b"a package"
    assert (out / "simple" / "two" / "notes.txt").read_text() == "mine"
    assert (out / "robots.txt").read_text() == "mine"
    assert not (out / "simple" / "two" / "index.html").exists()


def test_a_damaged_manifest_licenses_no_deletion(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(out, small_index(tmp_path, ["one", "two"]))
    (out / publish.MANIFEST_NAME).write_text("{not json")

    run(out, small_index(tmp_path, ["one"]))

    assert (out / "simple" / "two" / "index.html").is_file()  # left, not guessed at
    manifest = publish.Output(out).read_manifest()
    assert manifest is not None and manifest.paths


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [v for k, v in attrs if tag == "a" and k == "href" and v]


def assert_index_works(out: Path) -> None:
    """What a client sees mid-way: every page parses, every project the root links exists."""
    for path in out.rglob("*"):
        # A dot-file or anything in a dot-folder (a new folder being filled) is never served.
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(out).parts):
            continue
        text = path.read_text()
        if path.name == "json" or path.suffix in (".v1_json", ".json"):
            for line in text.splitlines():
                json.loads(line)
        elif path.suffix == ".html":
            assert text.rstrip().endswith("</html>"), path
    root = out / "simple" / "index.html"
    if root.exists():
        links = _Links()
        links.feed(root.read_text())
        for href in links.hrefs:
            assert (out / "simple" / href / "index.html").is_file(), href
            assert (out / "simple" / href / "index.v1_json").is_file(), href


class _Crash(Exception):
    pass


class _Writes:
    """Every file a build writes, counted; it crashes at write number `crash_at`, if set.

    Every file's bytes go through Output._fill, whether the file replaces
    one page or fills a new folder that is renamed into place whole.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.paths: list[str] = []
        self.crash_at: int | None = None
        real_fill = publish.Output._fill

        def fill(output: publish.Output, fd: int, path: str, chunks: Iterable[bytes]) -> None:
            if len(self.paths) == self.crash_at:
                os.close(fd)
                os.unlink(path)
                raise _Crash(path)
            self.paths.append(path)
            real_fill(output, fd, path, chunks)

        monkeypatch.setattr(publish.Output, "_fill", fill)


def test_a_run_interrupted_at_any_write_leaves_a_working_index_and_the_next_run_heals_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = small_index(tmp_path, ["one", "two", "three"])
    new = write_list(tmp_path / "new.json", [
        {"filename": "one-1.0.tar.gz", "yanked_reason": "bad"},
        {"filename": "four-1.0.tar.gz"},
        {"filename": "five-3.0.tar.gz"},
    ])
    run(tmp_path / "full", new)
    writes = _Writes(monkeypatch)
    run(tmp_path / "count", old)
    writes.paths.clear()
    run(tmp_path / "count", new, str(tmp_path / "count" / "packages.json"))
    total = len(writes.paths)
    assert total > 10

    for crash_at in range(total):
        out = tmp_path / f"out{crash_at}"
        writes.crash_at = None
        run(out, old)
        writes.paths.clear()
        writes.crash_at = crash_at
        with pytest.raises(_Crash):
            run(out, new, str(out / "packages.json"))

        assert_index_works(out)
        assert not list(out.rglob(publish.TEMP_PREFIX + "*"))
        writes.crash_at = None
        run(out, new, str(out / "packages.json"))
        assert tree(out) == tree(tmp_path / "full"), f"not healed after a crash at write {crash_at}"


def test_a_new_index_interrupted_at_any_write_shows_no_page_and_the_next_run_builds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    listing = small_index(tmp_path, ["one", "two", "three"])
    run(tmp_path / "full", listing)
    writes = _Writes(monkeypatch)
    run(tmp_path / "count", listing)
    total = len(writes.paths)
    # The journal, a page per project folder and release, the listing, packages.json, the cache, the manifest.
    assert total > 20 and os.path.basename(writes.paths[-1]).startswith(publish.TEMP_PREFIX)

    for crash_at in range(total):
        out = tmp_path / f"out{crash_at}"
        writes.paths.clear()
        writes.crash_at = crash_at
        with pytest.raises(_Crash):
            run(out, listing)
        shown = [
            p for p in out.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
        ]
        if crash_at < total - 1:
            # Until the manifest, the last write, no page of the new index is in sight.
            assert shown == [], f"in sight after a crash at write {crash_at}"
        else:
            assert_index_works(out)
        assert not list(out.rglob(publish.TEMP_PREFIX + "*"))
        writes.crash_at = None
        run(out, listing)
        assert tree(out) == tree(tmp_path / "full"), f"not built after a crash at write {crash_at}"


def test_a_killed_run_leaves_a_working_index_and_the_next_run_heals_it(tmp_path: Path) -> None:
    def listing(count: int, version: str) -> str:
        return write_list(tmp_path / f"list-{count}-{version}.json", [
            {"filename": f"project{i}-{version}.tar.gz", "size": i} for i in range(count)
        ])

    out = tmp_path / "out"
    run(out, listing(250, "1.0"))
    new = listing(300, "2.0")

    def command(output: Path) -> list[str]:
        return [
            sys.executable, "-m", "dumb_pypi", "--package-list-json", new, "--output-dir", str(output),
            "--packages-url", "../../pool/", "--no-generate-timestamp",
            "--previous-package-list-json", str(output / "packages.json"),
        ]

    # Kill at fractions of how long an uninterrupted run takes on this machine.
    start = time.monotonic()
    subprocess.run(command(tmp_path / "timing"), stderr=subprocess.DEVNULL, check=True)
    duration = time.monotonic() - start
    killed = 0
    for fraction in (0.3, 0.5, 0.7, 0.9):
        process = subprocess.Popen(command(out), stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        assert_index_works(out)
        # A killed run's temp files are dot-files, never under a served name.
        for temp in out.rglob(publish.TEMP_PREFIX + "*"):
            assert temp.name.startswith(".")
    assert killed, "every run finished before it could be killed; the test proved nothing"

    assert subprocess.run(command(out), stderr=subprocess.DEVNULL).returncode == 0
    assert not list(out.rglob(publish.TEMP_PREFIX + "*"))
    run(tmp_path / "full", new)
    assert tree(out) == tree(tmp_path / "full")


def test_two_runs_at_once_give_the_tree_of_one(tmp_path: Path) -> None:
    listing = small_index(tmp_path, [f"p{i}" for i in range(300)])
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "dumb_pypi", "--package-list-json", listing, "--output-dir", str(out),
        "--packages-url", "../../pool/", "--no-generate-timestamp",
    ]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    for process in (first, second):
        _, errors = process.communicate()
        assert process.returncode == 0, errors

    run(tmp_path / "single", listing)
    assert tree(out) == tree(tmp_path / "single")


def test_a_run_that_cannot_get_the_lock_exits_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dumb_pypi.cli import main

    out = tmp_path / "out"
    out.mkdir()
    listing = small_index(tmp_path, ["one"])
    with open(out / publish.LOCK_NAME, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(LockedError):
            run(out, listing)
        code = main(["--package-list-json", listing, "--output-dir", str(out), "--packages-url", "x/", "--lock-wait", "0.2"])

    assert code == 1
    assert publish.LOCK_NAME in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == [publish.LOCK_NAME]


def test_the_lock_is_released_when_a_run_fails(tmp_path: Path) -> None:
    out = tmp_path / "out"
    listing = small_index(tmp_path, ["one"])
    os.makedirs(out)
    (out / "simple").write_text("a file where a folder must go")
    with pytest.raises(OSError):
        run(out, listing)
    (out / "simple").unlink()
    assert run(out, listing).written > 0


# --- Reruns from the build cache ---------------------------------------------------


@st.composite
def lines(draw: st.DrawFn) -> str:
    """A line of a JSON list: mostly records, some skipped with a warning, some warned about, blank lines."""
    kind = draw(st.sampled_from(["record", "record", "record", "skipped", "unknown-key", "blank"]))
    if kind == "blank":
        return ""
    record = draw(records())
    if kind == "skipped":
        record = {"filename": draw(st.sampled_from(["noversion.tar.gz", "alpha-1.0.txt", "gamma-9.0.exe.bak"]))}
    elif kind == "unknown-key":
        record["colour"] = "red"
    return json.dumps(record)


@st.composite
def list_changes(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A list, and the list of a later run: some lines kept, some dropped, some added, some repeated."""
    before = draw(st.lists(lines(), max_size=12))
    if draw(st.booleans()):
        return before, draw(st.lists(lines(), max_size=12))
    after = [line for line in before if draw(st.booleans()) or draw(st.booleans())]
    for _ in range(draw(st.integers(0, 4))):
        added = draw(st.one_of(lines(), st.sampled_from(before))) if before else draw(lines())
        after.insert(draw(st.integers(0, len(after))), added)
    if draw(st.booleans()):
        after = draw(st.permutations(after))
    return before, after


def attempt(out: Path, listing: Path, previous: str | None = None, **overrides: Any) -> tuple[list[str], str]:
    """The warnings of a run, and its error or its summary."""
    warnings: list[str] = []
    try:
        summary = run(out, str(listing), previous, warn=warnings.append, **overrides)
    except DumbPypiError as e:
        return warnings, f"error: {e}"
    return warnings, repr(summary._replace(written=0, deleted=0))


@pytest.fixture
def from_cache(monkeypatch: pytest.MonkeyPatch) -> list[Summary | None]:
    """What each partial build from the build cache gave (None: it read the whole list)."""
    results: list[Summary | None] = []
    build_from_cache = partial.build

    def spy(*args: Any, **kwargs: Any) -> Summary | None:
        results.append(build_from_cache(*args, **kwargs))
        return results[-1]

    monkeypatch.setattr(partial, "build", spy)
    return results


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=list_changes(), per_release=st.booleans(), strict=st.booleans())
def test_a_rerun_from_the_build_cache_gives_what_reading_the_whole_list_gives(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, from_cache: list[Summary | None],
    change: tuple[list[str], list[str]], per_release: bool, strict: bool,
) -> None:
    # Small pages, so that a few releases cross the changelog's pages, and projects the list's and the search's.
    monkeypatch.setattr(render, "PAGE_SIZE", 2)
    monkeypatch.setattr(render, "SHARD_SIZE", 2)
    before, after = change
    work = tmp_path_factory.mktemp("cache")
    (work / "a.json").write_text("".join(line + "\n" for line in before))
    (work / "b.json").write_text("".join(line + "\n" for line in after))
    try:
        run(work / "cached", str(work / "a.json"), per_release_json=per_release)
    except DumbPypiError:
        assume(False)  # the first run must succeed for a rerun to have anything to start from
    shutil.copytree(work / "cached", work / "uncached")
    (work / "uncached" / partial.CACHE_NAME).unlink()
    unchanged = tree(work / "cached")
    previous = str(work / "cached" / "packages.json")

    from_cache.clear()
    cached = attempt(work / "cached", work / "b.json", previous, per_release_json=per_release, strict=strict)
    # The cache was used, or the very same list was told from the manifest alone, or the list stops the build.
    used = bool(from_cache) and from_cache[0] is not None
    event("error" if cached[1].startswith("error:") else "from the cache" if used else "same list")
    event(f"{len(cached[0])} warnings" if cached[0] else "no warnings")
    assert used or before == after and not from_cache or cached[1].startswith("error:"), "the cache was not used"
    uncached = attempt(work / "uncached", work / "b.json", str(work / "uncached" / "packages.json"),
                       per_release_json=per_release, strict=strict)
    # The same warnings, in the same order with the same line numbers, and the same error or summary.
    assert cached == uncached
    if cached[1].startswith("error:"):
        assert tree(work / "cached") == unchanged  # nothing published
    else:
        run(work / "full", str(work / "b.json"), per_release_json=per_release)
        assert tree(work / "cached") == tree(work / "full")


def _two_lists(tmp_path: Path) -> tuple[str, str]:
    base = [{"filename": f"p{i}-1.0.tar.gz", "upload_timestamp": 1_600_000_000 + i} for i in range(6)]
    more = base + [{"filename": "p3-2.0.tar.gz", "upload_timestamp": 1_700_000_000}]
    return write_list(tmp_path / "a.json", base), write_list(tmp_path / "b.json", more)


def _framed(header: bytes) -> bytes:
    return struct.pack("<Q", len(header)) + header


def _edited(content: bytes, **changes: Any) -> bytes:
    return partial.cache_bytes({**partial.parse_cache(content), **changes})


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut-short"),
        pytest.param(lambda data: b"not marshal at all", id="garbage"),
        pytest.param(lambda data: _edited(data, format=-1), id="another-format"),
        pytest.param(lambda data: _edited(data, input="0" * 64), id="another-list"),
        pytest.param(lambda data: _edited(data, projects={}), id="edited"),
        pytest.param(lambda data: _edited(data, data=b"x-1.0.tar.gz\n"), id="another-list-text"),
        pytest.param(lambda data: _framed(marshal.dumps([1, 2, 3])), id="not-a-dict"),
    ],
)
def test_a_damaged_build_cache_falls_back_to_reading_the_whole_list(
    tmp_path: Path, from_cache: list[Summary | None], damage: Callable[[bytes], bytes],
) -> None:
    first, second = _two_lists(tmp_path)
    out = tmp_path / "out"
    run(out, first)
    cache = out / partial.CACHE_NAME
    cache.write_bytes(damage(cache.read_bytes()))
    warnings: list[str] = []
    from_cache.clear()

    summary = run(out, second, str(out / "packages.json"), warn=warnings.append)

    assert from_cache == [None] and summary.partial and not warnings
    run(tmp_path / "full", second)
    assert tree(out) == tree(tmp_path / "full")
    # The run wrote a good cache again, which the next run uses.
    run(out, first, str(out / "packages.json"))
    assert from_cache[-1] is not None


def test_a_rerun_from_the_cache_writes_only_the_pages_one_upload_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_cache: list[Summary | None],
) -> None:
    monkeypatch.setattr(render, "PAGE_SIZE", 2)
    monkeypatch.setattr(render, "SHARD_SIZE", 2)
    first, second = _two_lists(tmp_path)
    out = tmp_path / "out"
    run(out, first)
    stamps = mtimes(out)
    time.sleep(0.01)

    summary = run(out, second, str(out / "packages.json"))

    assert from_cache[-1] is not None
    now = mtimes(out)
    rewritten = {path for path in now if now[path] != stamps.get(path)}
    # p3's pages; its row's list page and search shard (rows 2 and 3), and
    # names.js, which names the shard's version; the new changelog page 4
    # that the seventh release starts, with its copy, and page 3, which now
    # links a newer page; the feed. Pages 1 and 2 of the changelog, list
    # pages 1 and 3, the other shards and projects stay as they were.
    assert rewritten == {
        "simple/p3/index.html", "simple/p3/index.v1_json", "pypi/p3/json", "pypi/p3/1.0/json", "pypi/p3/2.0/json",
        "project/p3/index.html", "list/page2.html", "search/rows1.js", "search/names.js", "changelog/page3.html",
        "changelog/page4.html", "changelog/index.html", "rss/updates.xml", "packages.json",
        publish.MANIFEST_NAME, partial.CACHE_NAME,
    }
    assert summary.written == len(rewritten) - 2
    run(tmp_path / "full", second)
    assert tree(out) == tree(tmp_path / "full")


def test_a_rerun_of_a_plain_list_from_the_cache_reads_comments_skipped_lines_and_urls(
    tmp_path: Path, from_cache: list[Summary | None],
) -> None:
    out = tmp_path / "out"
    first = tmp_path / "a.txt"
    first.write_text("# pool\nalpha-1.0.tar.gz\nnoversion.tar.gz\nhttps://files.example/beta-1.0.tar.gz\n")
    second = tmp_path / "b.txt"
    second.write_text(
        "# pool\n\nalpha-1.0.tar.gz\nalpha-1.1.tar.gz\nnoversion.tar.gz\nhttps://files.example/beta-1.0.tar.gz\n"
        "2016-10-31 12:34:56      12345 pool/gamma-1.0.tar.gz\n",
    )
    run(out, None, package_list=str(first), package_list_json=None)  # type: ignore[arg-type]
    warnings: list[str] = []

    run(out, None, str(out / "packages.json"), package_list=str(second), package_list_json=None,  # type: ignore[arg-type]
        warn=warnings.append)

    assert from_cache[-1] is not None
    assert warnings == [f"{second}:5: skipped 'noversion.tar.gz': no '-' separates the project name from the version"]
    run(tmp_path / "full", None, package_list=str(second), package_list_json=None)  # type: ignore[arg-type]
    assert tree(out) == tree(tmp_path / "full")


def test_a_file_listed_again_with_other_data_names_both_lines_from_the_cache(
    tmp_path: Path, from_cache: list[Summary | None],
) -> None:
    first = write_list(tmp_path / "a.json", [{"filename": "a-1.0.tar.gz", "size": 1}, {"filename": "b-1.0.tar.gz"}])
    second = write_list(tmp_path / "b.json", [
        {"filename": "a-1.0.tar.gz", "size": 1}, {"filename": "b-1.0.tar.gz"}, {"filename": "a-1.0.tar.gz", "size": 2},
    ])
    out = tmp_path / "out"
    run(out, first)
    before = tree(out)

    with pytest.raises(DumbPypiError, match=r"b\.json:3: 'a-1\.0\.tar\.gz' is listed again with different data \(first at .*b\.json:1\)"):
        run(out, second, str(out / "packages.json"))

    assert tree(out) == before


def test_a_list_that_changes_while_the_index_is_built_leaves_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_cache: list[Summary | None],
) -> None:
    first, second = _two_lists(tmp_path)
    real = partial._pieces

    def pieces(path: str, check: Any = None) -> Any:
        if check is not None:
            # The pass that copies the list into the cache: someone appended a line since it was read.
            with open(path, "ab") as f:
                f.write(b'{"filename": "late-1.0.tar.gz"}\n')
        return real(path, check)

    monkeypatch.setattr(partial, "_pieces", pieces)
    out = tmp_path / "out"
    run(out, first)
    assert not (out / partial.CACHE_NAME).exists()
    monkeypatch.setattr(partial, "_pieces", real)
    from_cache.clear()
    # The next run cannot use a cache, and reads its list whole.
    run(out, second, str(out / "packages.json"))
    assert from_cache == [None]
    run(tmp_path / "full", second)
    assert tree(out) == tree(tmp_path / "full")


def _cli(out: Path, listing: str, previous: str | None = None) -> int:
    argv = ["--package-list-json", listing, "--output-dir", str(out), "--packages-url", "../../pool/",
            "--no-generate-timestamp", "-q"]
    return cli.main(argv + (["--previous-package-list-json", previous] if previous else []))


def _manifest(out: Path) -> publish.Manifest:
    manifest = publish.Output(out).read_manifest(paths=False)
    assert manifest is not None
    return manifest


def test_the_manifest_holds_the_size_of_the_list_each_kind_of_build_read(tmp_path: Path) -> None:
    first, second = _two_lists(tmp_path)
    out = tmp_path / "out"
    run(out, first)
    assert _manifest(out).read["size"] == os.path.getsize(first)
    run(out, second, str(out / "packages.json"))
    assert _manifest(out).read["size"] == os.path.getsize(second)


def test_a_rerun_given_another_list_of_the_same_size_rebuilds_from_the_cache(
    tmp_path: Path, from_cache: list[Summary | None],
) -> None:
    # The size tells most new lists at once; one of the same size is told by its hash.
    first = write_list(tmp_path / "a.json", [{"filename": "p1-1.0.tar.gz"}, {"filename": "p2-1.0.tar.gz"}])
    second = write_list(tmp_path / "b.json", [{"filename": "p1-1.0.tar.gz"}, {"filename": "p2-1.1.tar.gz"}])
    assert os.path.getsize(first) == os.path.getsize(second)
    out = tmp_path / "out"
    run(out, first)
    from_cache.clear()

    run(out, second, str(out / "packages.json"))

    assert from_cache and from_cache[0] is not None
    run(tmp_path / "full", second)
    assert tree(out) == tree(tmp_path / "full")


def _preparing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each import the command started on another thread (see cli._Preparing), for lists of any size."""
    monkeypatch.setattr(cli._Preparing, "WORTH", 0)
    started: list[str] = []
    real = cli._prepare

    def prepare() -> None:
        started.append(threading.current_thread().name)
        real()

    monkeypatch.setattr(cli, "_prepare", prepare)
    return started


def test_the_command_rebuilds_from_the_cache_and_lets_go_of_the_list_it_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_cache: list[Summary | None],
) -> None:
    first, second = _two_lists(tmp_path)
    out = tmp_path / "out"
    assert _cli(out, first) == 0
    from_cache.clear()
    started = _preparing(monkeypatch)

    assert _cli(out, second, str(out / "packages.json")) == 0

    assert started == ["dumb-pypi-prepare"]
    assert from_cache and from_cache[0] is not None
    assert unchanged._kept is None
    assert _cli(tmp_path / "full", second) == 0
    assert tree(out) == tree(tmp_path / "full")


def test_the_command_builds_in_full_where_a_new_list_finds_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, from_cache: list[Summary | None],
) -> None:
    # Long enough for worker processes, which fork once the thread that
    # prepared the renderer is done.
    records = [{"filename": f"project{i}-1.0.tar.gz", "size": i} for i in range(2000)]
    first = write_list(tmp_path / "a.json", records)
    second = write_list(tmp_path / "b.json", records + [{"filename": "project7-2.0.tar.gz"}])
    assert os.path.getsize(first) >= MIN_BYTES
    out = tmp_path / "out"
    assert _cli(out, first) == 0
    (out / partial.CACHE_NAME).unlink()
    from_cache.clear()
    started = _preparing(monkeypatch)

    assert _cli(out, second, str(out / "packages.json")) == 0

    assert started == ["dumb-pypi-prepare"]
    assert from_cache == [None]
    assert unchanged._kept is None
    assert _cli(tmp_path / "full", second) == 0
    assert tree(out) == tree(tmp_path / "full")


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=64).map(lambda b: b.replace(b"\x01", b"\n")), start=st.integers(0, 80), end=st.integers(0, 80))
def test_lines_are_counted_as_bytes_count_them(data: bytes, start: int, end: int) -> None:
    assert partial._count_lines(data, start, min(end, len(data))) == data.count(b"\n", start, min(end, len(data)))


def test_lines_are_counted_across_the_pieces_they_are_counted_in() -> None:
    data = b"".join(b"x" * (i % 97) + b"\n" for i in range(60_000))
    assert len(data) > 2 << 20
    for start, end in [(0, len(data)), (12345, len(data) - 54321), ((1 << 20) - 1, (1 << 20) + 1)]:
        assert partial._count_lines(data, start, end) == data.count(b"\n", start, end)


def test_a_mapped_file_reads_as_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    content = bytes(range(256)) * 1000
    path.write_bytes(content)
    with open(path, "rb") as f:
        assert bytes(unchanged.mapped(f)) == content
        assert bytes(unchanged.mapped(f, mmap.ALLOCATIONGRANULARITY)) == content[mmap.ALLOCATIONGRANULARITY:]
        # An offset a mapping cannot start at: read instead.
        assert unchanged.mapped(f, 3) == content[3:]
        assert unchanged.mapped(f, len(content)) == b""
    path.write_bytes(b"")
    with open(path, "rb") as f:
        assert unchanged.mapped(f) == b""
