"""The core: settings in, an index written; callable as a library, never prints."""
from __future__ import annotations

import datetime
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, NamedTuple

from dumb_pypi import __version__, plan
from dumb_pypi.errors import DumbPypiError, InputError
from dumb_pypi.inputs import Problems, Sourced, collect, read_json_lines, read_plain
from dumb_pypi.model import group_projects
from dumb_pypi.publish import Manifest, locked
from dumb_pypi.render import Site


class Settings(NamedTuple):
    output_dir: Path
    package_list: str | None = None
    package_list_json: str | None = None
    previous_package_list: str | None = None
    previous_package_list_json: str | None = None
    packages_url: str | None = None
    title: str = "dumb-pypi"
    logo: str | None = None
    logo_width: int | None = None
    generate_timestamp: bool = True
    per_release_json: bool = True
    strict: bool = False
    allow_empty: bool = False
    lock_wait: float = 60.0

    def output_settings(self) -> dict[str, Any]:
        """The settings that shape the output: a change to any of them makes a full build."""
        return {
            "dumb-pypi": __version__,
            "packages_url": self.packages_url,
            "title": self.title,
            "logo": self.logo,
            "logo_width": self.logo_width,
            "generate_timestamp": self.generate_timestamp,
            "per_release_json": self.per_release_json,
        }


class Summary(NamedTuple):
    projects: int
    files: int
    skipped: int
    written: int
    deleted: int
    partial: bool


def _open(path: str, stdin: IO[bytes] | None) -> tuple[IO[bytes], str]:
    if path == "-":
        return (stdin if stdin is not None else sys.stdin.buffer), "<stdin>"
    try:
        return open(path, "rb"), path
    except OSError as e:
        raise DumbPypiError(f"cannot read {path}: {e.strerror}") from None


def read_list(path: str, json_lines: bool, problems: Problems, stdin: IO[bytes] | None = None) -> list[Sourced]:
    stream, name = _open(path, stdin)
    try:
        reader = read_json_lines if json_lines else read_plain
        return collect(reader(stream, name, problems))
    finally:
        if stream is not stdin and path != "-":
            stream.close()


def _check_urls(entries: list[Sourced], packages_url: str | None) -> None:
    if packages_url is not None:
        return
    for entry in entries:
        if entry.package.url is None:
            raise InputError(
                entry.path, entry.line,
                f"{entry.package.filename!r} has no url of its own, so --packages-url is required",
            )


def build(
    settings: Settings,
    *,
    warn: Callable[[str], None] = lambda message: None,
    stdin: IO[bytes] | None = None,
    now: datetime.datetime | None = None,
) -> Summary:
    """Read the inputs, then write the index; raises DumbPypiError before writing anything on bad input."""
    problems = Problems(settings.strict, warn)
    if settings.package_list_json is not None:
        entries = read_list(settings.package_list_json, True, problems, stdin)
    elif settings.package_list is not None:
        entries = read_list(settings.package_list, False, problems, stdin)
    else:
        raise DumbPypiError("no input: give --package-list or --package-list-json")
    _check_urls(entries, settings.packages_url)
    if not entries and not settings.allow_empty:
        raise DumbPypiError(
            "the package list has no files; refusing to publish an empty index"
            " (an empty listing is usually an upstream failure; use --allow-empty to build one on purpose)"
        )

    previous: list[Sourced] | None = None
    previous_path = settings.previous_package_list_json or settings.previous_package_list
    if previous_path is not None and previous_path != "-" and not os.path.exists(previous_path):
        # The first run from cron has no previous list yet.
        warn(f"{previous_path} does not exist: making a full build")
    elif previous_path is not None:
        json_lines = settings.previous_package_list_json is not None
        previous = read_list(previous_path, json_lines, Problems(False, warn), stdin)

    packages = [e.package for e in entries]
    projects = group_projects(packages)
    site = Site(
        packages_url=settings.packages_url,
        title=settings.title,
        logo=settings.logo,
        logo_width=settings.logo_width,
        generated=(now or datetime.datetime.now(datetime.timezone.utc)) if settings.generate_timestamp else None,
        per_release_json=settings.per_release_json,
    )

    with locked(settings.output_dir, settings.lock_wait) as output:
        manifest = output.read_manifest()
        current = plan.by_project(packages)
        changed: set[Any] | None = None
        if previous is not None and manifest is not None and manifest.settings == settings.output_settings():
            changed = plan.changed_projects(plan.by_project(e.package for e in previous), current)

        paths: set[str] = set()
        # Project pages first, then the indexes that link them, so readers never follow a dead link.
        for project in projects.values():
            pages = plan.project_pages(project, site)
            paths.update(page.path for page in pages)
            if changed is None or project.name in changed:
                for page in pages:
                    output.write(page.path, page.render())
        index = plan.index_pages(projects, site)
        paths.update(page.path for page in index)
        paths.add("packages.json")
        unchanged = changed is not None and not changed and not settings.generate_timestamp
        if not unchanged:
            for page in index:
                output.write(page.path, page.render())
        stale = (manifest.paths if manifest is not None else frozenset()) - paths
        output.delete_all(stale)
        if not unchanged or not (settings.output_dir / "packages.json").exists():
            output.write("packages.json", plan.packages_json(packages))
        if not unchanged or stale or manifest is None or manifest.paths != paths:
            output.write_manifest(Manifest(settings.output_settings(), frozenset(paths)))

    return Summary(
        projects=len(projects),
        files=len(packages),
        skipped=problems.count,
        written=output.written,
        deleted=output.deleted,
        partial=changed is not None,
    )

