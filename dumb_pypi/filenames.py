"""Reads a distribution's filename: project name, version, kind; no I/O."""
from __future__ import annotations

import re
from typing import NamedTuple

from packaging.utils import parse_wheel_filename
from packaging.version import VERSION_PATTERN

from dumb_pypi.errors import UnparseableFilename
from dumb_pypi.errors import UnsafeFilename


class ParsedFilename(NamedTuple):
    """What a filename says, spelled as in the filename, not normalised."""

    name: str  # "aspy.yaml", "dumb_init"
    version: str  # "1.2.0", "0.2.1-beta"
    packagetype: str  # PyPI's: "sdist", "bdist_wheel", "bdist_egg", ...
    # PyPI's JSON 'python_version': "source" for sdists, else the python
    # tag ("py2.py3", "py2.7"), or "any" when the filename has none.
    python_version: str


_MAX_BYTES = 255

# re.ASCII everywhere: with re.IGNORECASE alone, [a-z] also matches the
# Kelvin sign and the long s, which would let look-alike names through.
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAME = re.compile(r"[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9]", re.I | re.A)
_PEP440 = re.compile(VERSION_PATTERN, re.X | re.I | re.A)
_DASH_DIGIT = re.compile(r"-(?=[0-9])")
_DASH_V_DIGIT = re.compile(r"-(?=[vV][0-9])")

# What distutils' get_platform() puts after the version of bdist_dumb,
# bdist_wininst and bdist_msi files ("linux-x86_64", "macosx-10.9-intel",
# "freebsd-10.0-RELEASE-amd64").
_PLATFORM = (
    r"win32|win-amd64|win-arm64|win-arm32|linux-[a-z0-9_]+"
    r"|macosx-[0-9]+(?:\.[0-9]+)*-[a-z0-9_]+"
    r"|(?:freebsd|openbsd|netbsd|cygwin|solaris|sunos|aix)-[0-9][a-z0-9._-]*?"
)
_DUMB_SUFFIX = re.compile(rf"\.(?:{_PLATFORM})\Z", re.I | re.A)
# Windows installers also carry hand-written platforms ("taurus-3.2.0.win",
# "ntracer-0.7.3.pentium4") and a python tag, even after a '.' or '_'
# ("cclib-0.9.py2.4", "pyserial-2.7.win32_py3k") or before the platform
# ("baklabel-1.0.3-2728-py2.7.win32").
_INSTALLER_PLATFORM = rf"[.-](?:{_PLATFORM}|win|pentium4)"
_INSTALLER_PYTHON = r"[._-](py[0-9][0-9.]*k?)"
_INSTALLER_SUFFIX = re.compile(
    rf"(?:(?:{_INSTALLER_PLATFORM})?(?:{_INSTALLER_PYTHON})?"
    rf"|{_INSTALLER_PYTHON}{_INSTALLER_PLATFORM})\Z",
    re.I | re.A,
)
_EGG = re.compile(r"(.+)-(py[0-9][0-9.]*)(?:-.+)?\Z", re.A)
# rpmbuild names every file name-version-release.arch.rpm, and neither the
# version nor the release may contain a dash.
_RPM = re.compile(r"(.+)-([^-]+)-[^-]+\.[a-z0-9_]+\Z", re.I | re.A)
_PYTHON_TAG = re.compile(r"py[0-9]", re.A)
_ALNUM = re.compile(r"[A-Za-z0-9]")

_SDIST_EXTENSIONS = frozenset(
    ("tar.gz", "tgz", "tar.bz2", "tbz", "tar.xz", "tar.z", "tar", "zip"),
)
_TAR_COMPRESSIONS = frozenset(("gz", "bz2", "xz", "z"))
_PACKAGETYPES = {
    "whl": "bdist_wheel",
    "egg": "bdist_egg",
    "exe": "bdist_wininst",
    "msi": "bdist_msi",
    "rpm": "bdist_rpm",
    "dmg": "bdist_dmg",
}
_KNOWN = (
    "no known distribution extension (.whl, .tar.gz, .zip, .tgz, .tar.bz2, "
    ".tbz, .tar.xz, .tar.Z, .tar, .egg, .exe, .msi, .rpm, .dmg)"
)


def _check_safe(filename: str) -> None:
    if not filename:
        raise UnsafeFilename(filename, "the filename is empty")
    if ".." in filename:
        raise UnsafeFilename(filename, "it contains '..'")
    match = _UNSAFE.search(filename)
    if match is not None:
        found = match.group()
        if found in "/\\":
            reason = "it contains a path separator"
        elif _CONTROL.match(found):
            reason = "it contains a control character"
        else:
            reason = "it is not valid Unicode (a lone surrogate)"
        raise UnsafeFilename(filename, reason)
    if not filename.isascii():
        # Wheel and PEP 625 sdist filenames are ASCII by rule, and so are
        # all the real ones we test on.  Anything else can only look like
        # what it is not: a fullwidth digit in a version, a bidi override
        # that shows the name backwards, a zero-width space, or two
        # spellings of one accented letter that macOS takes for one file.
        found = next(c for c in filename if not c.isascii())
        raise UnsafeFilename(filename, f"it contains the non-ASCII character U+{ord(found):04X}")
    if len(filename) > _MAX_BYTES:
        raise UnsafeFilename(filename, "it is longer than 255 bytes")


def _extension(filename: str) -> str:
    """The known extension, lowercased and without its dot, or ''."""
    head, _, last = filename.rpartition(".")
    last = last.lower()
    if last in _TAR_COMPRESSIONS:
        if head[-4:].lower() == ".tar":
            return f"tar.{last}"
        return ""
    if last in _PACKAGETYPES or last in _SDIST_EXTENSIONS:
        return last
    return ""


def has_distribution_extension(filename: str) -> bool:
    """Whether the name ends like a distribution file, so a folder's other files (signatures, notes) can be passed over."""
    return bool(_extension(filename))


def _checked(filename: str, name: str, version: str) -> tuple[str, str]:
    if not _NAME.fullmatch(name):
        raise UnparseableFilename(
            filename, f"{name!r} is not a valid project name",
        )
    if not version:
        raise UnparseableFilename(filename, "the version is empty")
    if not _ALNUM.search(version):
        # The release key is a folder of the output (pypi/<name>/<version>/):
        # "." would be the project's own folder.
        raise UnparseableFilename(filename, f"the version {version!r} has no letter or digit")
    return name, version


def _split_name_version(filename: str, stem: str) -> tuple[str, str]:
    """Split "name-version" where both may contain dashes."""
    # The version starts at the first dash followed by a digit
    # (python-dateutil-2.8.2), unless what follows that dash, up to the next
    # one, reads as part of a name: no dot and not PEP 440 ("3k" in
    # negotiator-3k-1.0.0).  A part with a dot is a broken version
    # (bipython-0.1.3.-37c4767-), not a name.  With no such dash, PEP 440's
    # optional "v" (chomsky-v0.0.1), then the last dash.
    match = _DASH_DIGIT.search(stem) or _DASH_V_DIGIT.search(stem)
    if match is None:
        cut = stem.rfind("-")
        if cut == -1:
            raise UnparseableFilename(
                filename, "no '-' separates the project name from the version",
            )
    else:
        cut = match.start()
        later = _DASH_DIGIT.search(stem, cut + 2)
        while later is not None:
            part = stem[cut + 1:].partition("-")[0]
            if "." in part or _PEP440.fullmatch(part):
                break
            cut = later.start()
            later = _DASH_DIGIT.search(stem, cut + 2)
    return _checked(filename, stem[:cut], stem[cut + 1:])


def _parse_wheel(filename: str, stem: str) -> ParsedFilename:
    parts = stem.split("-")
    if len(parts) < 2:
        raise UnparseableFilename(
            filename,
            "a wheel's name must be name-version-[build-]python-abi-platform.whl",
        )
    _checked(filename, parts[0], parts[1])
    # PyPI still serves wheels with versions or tags that packaging now
    # refuses (mongosql-1.1.0_2-py2-none-any.whl); we list them as spelled.
    # So packaging's verdict matters only for a name that does not have five
    # or six non-empty parts, and asking it about every wheel would cost
    # more than the rest of the parse.
    if len(parts) not in (5, 6) or not all(parts):
        try:
            parse_wheel_filename(f"{stem}.whl")
        except ValueError:
            raise UnparseableFilename(
                filename,
                "a wheel's name must be name-version-[build-]python-abi-platform.whl",
            ) from None
    return ParsedFilename(parts[0], parts[1], "bdist_wheel", parts[-3])


def _parse_egg(filename: str, stem: str) -> ParsedFilename:
    match = _EGG.match(stem)
    if match is None:
        # Not made by bdist_egg (enstaller-4.4.0-1.egg, merlin-1.6.egg).
        name, version = _split_name_version(filename, stem)
        return ParsedFilename(name, version, "bdist_egg", "any")
    name, version = _split_name_version(filename, match[1])
    return ParsedFilename(name, version, "bdist_egg", match[2])


def _parse_installer(filename: str, stem: str, packagetype: str) -> ParsedFilename:
    # The suffix pattern can always match the empty string, so it never fails.
    match = _INSTALLER_SUFFIX.search(stem)
    assert match is not None
    name, version = _split_name_version(filename, stem[:match.start()])
    python_version = match[1] or match[2] or "any"
    return ParsedFilename(name, version, packagetype, python_version)


def _parse_rpm(filename: str, stem: str) -> ParsedFilename:
    match = _RPM.match(stem)
    if match is None:
        raise UnparseableFilename(
            filename, "an rpm's name must be name-version-release.arch.rpm",
        )
    name, version = _checked(filename, match[1], match[2])
    return ParsedFilename(name, version, "bdist_rpm", "any")


def _parse_dmg(filename: str, stem: str) -> ParsedFilename:
    # Disk images are named name-version-pyX.Y-macosxN (dipy) or
    # name-version-platform (Gaphor-0.17.0-x11): one dash-part of version.
    name, rest = _split_name_version(filename, stem)
    version, _, tags = rest.partition("-")
    python_version = next(
        (tag for tag in tags.split("-") if _PYTHON_TAG.match(tag)), "any",
    )
    name, version = _checked(filename, name, version)
    return ParsedFilename(name, version, "bdist_dmg", python_version)


def _parse_sdist(filename: str, stem: str) -> ParsedFilename:
    match = _DUMB_SUFFIX.search(stem)
    if match is not None:
        name, version = _split_name_version(filename, stem[:match.start()])
        return ParsedFilename(name, version, "bdist_dumb", "any")
    name, version = _split_name_version(filename, stem)
    return ParsedFilename(name, version, "sdist", "source")


def parse_filename(filename: str) -> ParsedFilename:
    """Read name, version and kind from a distribution's filename.

    Raises UnsafeFilename or UnparseableFilename, and nothing else.
    """
    _check_safe(filename)
    extension = _extension(filename)
    if not extension:
        raise UnsafeFilename(filename, _KNOWN)
    stem = filename[:-len(extension) - 1]
    if extension in _SDIST_EXTENSIONS:
        return _parse_sdist(filename, stem)
    if extension == "whl":
        return _parse_wheel(filename, stem)
    if extension == "egg":
        return _parse_egg(filename, stem)
    if extension == "rpm":
        return _parse_rpm(filename, stem)
    if extension == "dmg":
        return _parse_dmg(filename, stem)
    return _parse_installer(filename, stem, _PACKAGETYPES[extension])
