"""The settings of a run and its summary; light to import, so that a rerun with nothing to do starts fast."""
from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any, NamedTuple

from dumb_pypi import __version__
from dumb_pypi.errors import DumbPypiError

# Where --package-dir's files are published, below the output folder.
PUBLISHED = "packages"


class Settings(NamedTuple):
    output_dir: Path
    package_list: str | None = None
    package_list_json: str | None = None
    package_dir: str | None = None
    previous_package_list: str | None = None
    previous_package_list_json: str | None = None
    packages_url: str | None = None
    title: str = "My Private PyPI"
    logo: str | None = None
    logo_width: int | None = None
    generate_timestamp: bool = True
    per_release_json: bool = True
    strict: bool = False
    allow_empty: bool = False
    lock_wait: float = 60.0
    site_url: str | None = None
    jobs: int | None = None  # processes that read and write; None: one per core

    def output_settings(self) -> dict[str, Any]:
        """The settings that shape the output: a change to any of them makes a full build."""
        return {
            "dumb-pypi": __version__,
            "packages_url": self.files_url(),
            "title": self.title,
            "logo": self.logo,
            "logo_width": self.logo_width,
            "generate_timestamp": self.generate_timestamp,
            "per_release_json": self.per_release_json,
            "site_url": self.site_url,
        }

    def files_url(self) -> str | None:
        """--packages-url, or where --package-dir's files are published: OUTPUT/packages/ from simple/<name>/."""
        if self.packages_url is None and self.package_dir is not None:
            return f"../../{PUBLISHED}/"
        return self.packages_url


def check_settings(settings: Settings) -> None:
    """Refuse a flag whose value cannot stand in a page as given; raises DumbPypiError naming the flag."""
    from dumb_pypi.inputs import check_text, check_url

    flags: list[tuple[str, str | None, tuple[str, ...] | None]] = [
        ("--title", settings.title, None),
        # pip also follows file: links, as in an index of a local folder.
        ("--packages-url", settings.packages_url, ("http", "https", "file")),
        # A data: URL keeps the pages free of any network resource.
        ("--logo", settings.logo, ("http", "https", "data")),
        ("--site-url", settings.site_url, ("http", "https")),
    ]
    for flag, value, schemes in flags:
        if value is None:
            continue
        try:
            if schemes is None:
                check_text(value)
            else:
                check_url(value, schemes)
        except ValueError as e:
            raise DumbPypiError(f"{flag}: {e}") from None
    if settings.site_url is not None and not urllib.parse.urlsplit(settings.site_url).netloc:
        raise DumbPypiError(f"--site-url: give the absolute URL where the output folder is served, not {settings.site_url!r}")


class Summary(NamedTuple):
    projects: int
    files: int
    skipped: int
    written: int
    deleted: int
    partial: bool
    read: int = 0
