"""The exceptions dumb-pypi raises, each carrying what went wrong."""
from __future__ import annotations


class DumbPypiError(Exception):
    """An expected failure: the CLI prints it in one line and exits 1."""


class InputError(DumbPypiError):
    """A problem in an input list, named by PATH:LINE."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


class DistributionError(DumbPypiError):
    """A file in --package-dir that cannot be listed, named by its path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class InvalidFilename(DumbPypiError):
    """A filename that cannot be a distribution we can list."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename!r}: {reason}")
        self.filename = filename
        self.reason = reason


class UnsafeFilename(InvalidFilename):
    """A filename with a path separator, '..', a control character, or no known extension."""


class UnparseableFilename(InvalidFilename):
    """A filename whose project name or version cannot be read."""


class OutputError(DumbPypiError):
    """The output folder cannot be written as asked."""


class LockedError(OutputError):
    """Another dumb-pypi run holds the output folder's lock."""
