"""The command line: parses arguments, runs the build once, and maps errors to exit codes; the only module that prints."""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, NoReturn
from pathlib import Path

from dumb_pypi import __version__
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.settings import Settings, Summary, check_settings
from dumb_pypi.unchanged import rerun

# The renderer and the model are imported only when the run has something to
# do, and what a full build alone needs only for a full build: a rerun with
# nothing to do ends sooner than they would load.


def _number(convert: Callable[[str], float], low: float, high: float, what: str) -> Callable[[str], Any]:
    """An argparse type: a number from `low` (inclusive) to `high` (exclusive)."""

    def parse(text: str) -> float:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if not low <= value < high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to below {high:g}: {text!r}")
        return value

    return parse


_positive_int = _number(int, 1, 1 << 31, "a whole number")
_seconds = _number(float, 0, 86400, "a number of seconds")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dumb-pypi",
        description="Generate a static PyPI index (PEP 503/691 simple API, PyPI JSON API, pages for people).",
    )
    inputs = parser.add_mutually_exclusive_group(required=True)
    inputs.add_argument(
        "--package-list", metavar="PATH",
        help="a list of distribution filenames, paths, URLs or `aws s3 ls` lines, one a line ('-' for stdin)",
    )
    inputs.add_argument(
        "--package-list-json", metavar="PATH",
        help="a list of JSON objects, one a line, with 'filename' and optional metadata ('-' for stdin)",
    )
    inputs.add_argument(
        "--package-dir", metavar="DIR",
        help="a folder of distribution files (not its subfolders): each is hashed, its metadata read,"
        " and it is published into OUTPUT/packages/ with its wheel's .metadata file",
    )
    previous = parser.add_mutually_exclusive_group()
    previous.add_argument(
        "--previous-package-list", metavar="PATH",
        help="the plain list of the last run: only what changed since is written",
    )
    previous.add_argument(
        "--previous-package-list-json", metavar="PATH",
        help="the JSON list of the last run (OUTPUT/packages.json): only what changed since is written",
    )
    parser.add_argument("--output-dir", metavar="DIR", required=True, help="where the index is written")
    parser.add_argument(
        "--packages-url", metavar="URL",
        help="the URL where the distribution files are served (absolute, or relative to a simple project page);"
        " with --package-dir, where OUTPUT/packages/ is served (default: ../../packages/)",
    )
    parser.add_argument(
        "--site-url", metavar="URL",
        help="where OUTPUT is served (e.g. https://pypi.example/): shown in install lines, and makes the RSS feed's links absolute",
    )
    parser.add_argument("--title", default="My Private PyPI", help="the title of the pages for people")
    parser.add_argument("--logo", metavar="URL", help="the URL of a logo shown on the pages for people")
    parser.add_argument("--logo-width", metavar="PX", type=_positive_int, help="the logo's width in pixels")
    parser.add_argument(
        "--no-generate-timestamp", dest="generate_timestamp", action="store_false",
        help="leave the generation time out, so the output is byte-for-byte reproducible",
    )
    parser.add_argument(
        "--no-per-release-json", dest="per_release_json", action="store_false",
        help="do not write pypi/<name>/<version>/json",
    )
    parser.add_argument("--strict", action="store_true", help="make every warning about the input an error")
    parser.add_argument(
        "--allow-empty", action="store_true",
        help="build an empty index from an empty list, instead of refusing to",
    )
    parser.add_argument(
        "--lock-wait", metavar="SECONDS", type=_seconds, default=60.0,
        help="how long to wait for another run on the same output folder (default: 60)",
    )
    parser.add_argument(
        "--jobs", "-j", metavar="N", type=_positive_int, default=None,
        help="processes that read the list and write pages, this one included (default: one per core); the output is the same for any N",
    )
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    noise.add_argument("--verbose", "-v", action="store_true", help="print what is written")
    parser.add_argument("--version", action="version", version=f"dumb-pypi {__version__}")
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings(
        output_dir=Path(args.output_dir),
        package_list=args.package_list,
        package_list_json=args.package_list_json,
        package_dir=args.package_dir,
        previous_package_list=args.previous_package_list,
        previous_package_list_json=args.previous_package_list_json,
        packages_url=args.packages_url,
        title=args.title,
        logo=args.logo,
        logo_width=args.logo_width,
        generate_timestamp=args.generate_timestamp,
        per_release_json=args.per_release_json,
        strict=args.strict,
        allow_empty=args.allow_empty,
        lock_wait=args.lock_wait,
        site_url=args.site_url,
        jobs=args.jobs,
    )


class Progress:
    """One line on stderr, rewritten in place at most ten times a second."""

    def __init__(self) -> None:
        self._shown = False
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < 0.1 and done != total:
            return
        self._last = now
        text = f"reading: {done} files" if stage == "read" else f"writing: {done}/{total} project pages"
        print(f"\r\x1b[Kdumb-pypi: {text}", end="", file=sys.stderr, flush=True)
        self._shown = True

    def clear(self) -> str:
        """What to print first so that the next message replaces the progress line."""
        shown, self._shown = self._shown, False
        return "\r\x1b[K" if shown else ""


def _no_progress(stage: str, done: int, total: int) -> None:
    pass


def _prepare() -> None:
    """Import what a build needs.

    (Not compiling the templates too: a rerun needs few of them, and
    compiling them all here took the interpreter's lock from the rerun
    once it had hashed its lists.)
    """
    with contextlib.suppress(Exception):  # the build itself reports what fails here
        from dumb_pypi import partial  # noqa: F401


class _Preparing:
    """_prepare on another thread, started once a rerun finds its list is another, if it is long.

    The rerun then reads and hashes its lists, which frees the interpreter's
    lock: the build that follows finds the renderer loaded (a tenth of a
    rerun of 100,000 files, 30 MB). For a short list there is too little of
    that to import beside, and the two threads only take the lock in turns
    (70,000 filenames, 2.5 MB: a tenth slower).
    """

    # The list's size from which the thread pays.
    WORTH = 16 << 20

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self, size: int) -> None:
        if size < self.WORTH:
            return
        self._thread = threading.Thread(target=_prepare, name="dumb-pypi-prepare", daemon=True)
        self._thread.start()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()


def run() -> NoReturn:
    """The dumb-pypi command: main(), then the process ends at once.

    What a build made (millions of objects for a large list) is left to the
    operating system to reclaim; freeing it one object at a time, as
    returning and the interpreter's teardown would, costs a build of 70,000
    files a twentieth of its time.
    """
    code = main(exiting=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main(argv: Sequence[str] | None = None, exiting: bool = False) -> int:
    """Run dumb-pypi with `argv`; the exit code. `exiting` says the process ends right after (see run)."""
    parser = make_parser()
    args = parser.parse_args(argv)
    lists = (args.package_list, args.package_list_json, args.previous_package_list, args.previous_package_list_json)
    if lists.count("-") > 1:
        parser.error("only one list can be read from standard input")
    settings = settings_from_args(args)

    # Progress only for a person at a terminal: cron gets warnings and the summary.
    progress = Progress() if not args.quiet and sys.stderr.isatty() else None

    def warn(message: str) -> None:
        if not args.quiet:
            print(f"{progress.clear() if progress else ''}warning: {message}", file=sys.stderr)

    def notice(message: str) -> None:
        if args.verbose:
            print(f"{progress.clear() if progress else ''}dumb-pypi: {message}", file=sys.stderr)

    start = time.monotonic()
    preparing = _Preparing()
    try:
        # The settings of a rerun with nothing to do are the last run's, which it checked.
        summary: Summary | None = rerun(settings, warn, preparing.start)
        if summary is None:
            try:
                check_settings(settings)
            except DumbPypiError as e:
                parser.error(str(e))
            from dumb_pypi.partial import rebuild

            summary = rebuild(settings, warn, notice, leave=exiting)
        if summary is None:
            from dumb_pypi.build import build

            # The build forks: no thread may hold a lock then.
            preparing.join()
            summary = build(
                settings, warn=warn, notice=notice, progress=progress or _no_progress, rerun=False, leave=exiting,
            )
    except DumbPypiError as e:
        print(f"{progress.clear() if progress else ''}error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        print(f"{progress.clear() if progress else ''}error:{where}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{progress.clear() if progress else ''}error: interrupted", file=sys.stderr)
        return 130
    if not args.quiet:
        kind = "partial" if summary.partial else "full"
        skipped = f" ({summary.skipped} skipped)" if summary.skipped else ""
        read = f", {summary.read} read from {settings.package_dir}" if settings.package_dir is not None else ""
        print(
            f"{progress.clear() if progress else ''}dumb-pypi: {summary.projects} projects, {summary.files} files{skipped}{read};"
            f" {kind} build wrote {summary.written} and deleted {summary.deleted} files"
            f" in {settings.output_dir} in {time.monotonic() - start:.1f}s",
            file=sys.stderr,
        )
    return 0

