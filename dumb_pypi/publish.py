"""Owns the output folder: the lock, atomic writes, deletions of what we wrote, and the manifest."""
from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from dumb_pypi.errors import LockedError, OutputError

LOCK_NAME = ".dumb-pypi.lock"
MANIFEST_NAME = ".dumb-pypi-manifest.json"
# Exists only while a run writes: after a crash it says the output matches
# no list, and names the paths that run may have created.
JOURNAL_NAME = ".dumb-pypi-journal.json"
TEMP_PREFIX = ".dumb-pypi-tmp-"
# Every record of the list, sorted by filename: the next run's previous list.
PACKAGES_JSON = "packages.json"


class Manifest(NamedTuple):
    """What one run generated, and from what: the next run's licence to delete, and to build partially."""

    settings: dict[str, Any]
    paths: frozenset[str]
    # sha256 of the lists this output was built from (the input list, and
    # the packages.json written): a previous list must be one of them.
    lists: dict[str, str] = {}
    # What reading the input list gave (how it was read, the counts, the
    # warnings by line): all that a rerun on the very same list must print,
    # without reading it again.
    read: dict[str, Any] = {}


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _folder(relpath: str) -> str | None:
    """The folder of the output's second level that holds `relpath` (simple/NAME, pypi/NAME...), if any."""
    first, _, rest = relpath.partition("/")
    second, _, inner = rest.partition("/")
    return f"{first}/{second}" if inner else None


# An empty, "." or ".." segment (at either end too), a NUL or a backslash.
_NOT_PLAIN = re.compile(r"(?:^|/)\.{0,2}(?:/|$)|[\x00\\]")


def check_relpath(relpath: str) -> str:
    """Refuse any output path that could leave the output folder or hide a file."""
    # (The expression only where a path has a dot after a slash, or a doubled
    # or end slash, or nothing: a million paths are checked.)
    suspect = (
        not relpath or relpath[0] in "./" or relpath[-1] == "/" or "/." in relpath or "//" in relpath
        or "\x00" in relpath or "\\" in relpath
    )
    if suspect and _NOT_PLAIN.search(relpath):
        raise OutputError(f"refusing to write {relpath!r}: not a plain path inside the output folder")
    return relpath


def check_relpaths(relpaths: list[str]) -> frozenset[str]:
    """check_relpath for each of many paths (a manifest has one per page), in a few scans of one string.

    Joined by '/', the paths have an empty, "." or ".." segment exactly
    where one of them does.
    """
    text = "/" + "/".join(relpaths) + "/"
    if relpaths and ("//" in text or "/./" in text or "/../" in text or "\x00" in text or "\\" in text):
        for relpath in relpaths:
            check_relpath(relpath)
    return frozenset(relpaths)


def _umask() -> int | None:
    """The process's umask, read without changing it (Linux); None where it cannot be read."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return None


class Staged:
    """A file's new bytes in a temp file beside it, until commit() or discard()."""

    def __init__(self, output: Output, tmp: str, path: str, hidden: bool = False) -> None:
        self._output = output
        self._tmp: str | None = tmp
        self._path = path
        # In a new top folder not yet in place (see Output.hide_new): commit before Output.show.
        self.hidden = hidden

    def commit(self) -> None:
        """Rename the temp file over the file: the one place a page or file is put in place."""
        assert self._tmp is not None, "committed or discarded already"
        try:
            os.replace(self._tmp, self._path)
        except BaseException:
            self.discard()
            raise
        self._tmp = None
        self._output.written += 1

    def discard(self) -> None:
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


class Output:
    """The output folder; every write and deletion goes through here."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real_root = os.path.realpath(root)
        # Folders relative to the root (the root is ""): looked at and found to
        # lead nowhere outside, found missing, and known to exist.
        self._inside: set[str] = {""}
        self._missing: set[str] = set()
        self._dirs: set[str] = set()
        # Folders this process made: nothing else is in them but what it put there.
        self._made: set[str] = set()
        # New top folders filled under a temp name until shown: top -> temp name.
        self._hidden: dict[str, str] = {}
        self._hiding: frozenset[str] = frozenset()  # their temp names
        self._temp_names = itertools.count()
        # Paths are joined by hand: os.path.join costs more than the rest of a write's Python.
        self._prefix = os.fspath(root)
        self._pid = os.getpid()
        # Files are readable by everyone, whatever the umask: chmod only when it would not be.
        umask = _umask()
        self._chmod = umask is None or umask & 0o644 != 0
        self.written = 0
        self.deleted = 0

    def _check_inside(self, relpath: str, folder: str) -> None:
        real = os.path.realpath(self._prefix + "/" + folder)
        if real != self._real_root and not real.startswith(self._real_root + os.sep):
            raise OutputError(f"refusing to write {relpath!r}: {self._prefix}/{folder} leads outside the output folder")

    def _check_folder(self, relpath: str, folder: str) -> bool:
        """Refuse a folder of the output that leads outside it (a symlink planted there); returns whether it is missing.

        Each folder is looked at once, and only if its parent exists: a new
        tree costs a few lstat calls, not one per folder. Only the first
        missing folder of a branch is remembered: a new tree has a folder per
        release.
        """
        if folder in self._inside:
            return False
        if folder in self._missing:
            return True
        if self._check_folder(relpath, folder.rpartition("/")[0]):
            return True
        try:
            mode = os.lstat(self._prefix + "/" + folder).st_mode
        except FileNotFoundError:
            self._missing.add(folder)
            return True
        if not stat.S_ISDIR(mode):
            self._check_inside(relpath, folder)
        self._inside.add(folder)
        return False

    def check(self, relpaths: Iterable[str]) -> None:
        """Refuse a run that would write or delete outside the output folder before it writes anything."""
        # The folders checked by this call: a project's pages share a few.
        done: set[str] = set()
        for relpath in relpaths:
            folder = check_relpath(relpath).rpartition("/")[0]
            # Below a missing folder, nothing can lead outside.
            if folder not in done and folder.partition("/")[0] not in self._missing:
                self._check_folder(relpath, folder)
                done.add(folder)

    def _where(self, relpath: str) -> str:
        """Where OUTPUT/relpath is written now: inside its top folder's temp name while that is hidden."""
        if self._hidden:
            top, slash, rest = relpath.partition("/")
            hidden = self._hidden.get(top)
            if hidden is not None and slash:
                return f"{hidden}/{rest}"
        return relpath

    def hidden(self) -> dict[str, str]:
        """The top folders hidden now, by their temp names (see hide_new)."""
        return dict(self._hidden)

    def hide_new(self, tops: Iterable[str]) -> None:
        """Fill each of these top folders that does not exist yet under a temp name, until show().

        A new index has a folder per project in each of them: made in a
        folder that nobody sees yet, they need no temp name and rename each
        (renames that all take the one lock of the folder they go into).
        Readers see such a top folder whole, once its pages are all there.
        """
        for top in tops:
            if top in self._hidden or os.path.lexists(f"{self._prefix}/{top}"):
                continue
            hidden = f"{TEMP_PREFIX}{self._pid}-{next(self._temp_names)}"
            os.mkdir(f"{self._prefix}/{hidden}")
            self._hidden[top] = hidden
        self.adopt_hidden(self._hidden)

    def adopt_hidden(self, hidden: dict[str, str]) -> None:
        """Write into the top folders another process hid (see hide_new)."""
        self._hidden = dict(hidden)
        self._hiding = frozenset(hidden.values())
        self._dirs.update(self._hiding)
        self._made.update(self._hiding)

    def show(self) -> None:
        """Put the hidden top folders in place."""
        for top in self._hidden:
            if os.path.lexists(f"{self._prefix}/{top}"):
                raise OutputError(f"refusing to replace {self._prefix}/{top}: it appeared while this run wrote the index")
        for top, hidden in list(self._hidden.items()):
            os.rename(f"{self._prefix}/{hidden}", f"{self._prefix}/{top}")
            del self._hidden[top]
            self._dirs.add(top)
            self._missing.discard(top)
        self._hiding = frozenset()

    def discard_hidden(self) -> None:
        """Remove the hidden top folders and all in them: the run failed before show()."""
        for hidden in self._hidden.values():
            shutil.rmtree(f"{self._prefix}/{hidden}", ignore_errors=True)
        self._hidden = {}
        self._hiding = frozenset()

    def _parent(self, relpath: str) -> str:
        """The folder of OUTPUT/relpath, made if need be."""
        relpath = self._where(check_relpath(relpath))
        parent = relpath.rpartition("/")[0]
        if parent not in self._dirs:
            if "" not in self._dirs:
                os.makedirs(self.root, exist_ok=True)
                self._dirs.add("")
            # One mkdir per new folder, top down; a folder that is there
            # already is looked at, since a symlink planted in the output
            # folder must not carry a write outside it, nor make folders there.
            done = ""
            for segment in parent.split("/") if parent else ():
                done = f"{done}/{segment}" if done else segment
                if done in self._dirs:
                    continue
                try:
                    os.mkdir(self._prefix + "/" + done)
                    self._made.add(done)
                except FileExistsError:
                    if not stat.S_ISDIR(os.lstat(self._prefix + "/" + done).st_mode):
                        self._check_inside(relpath, done)
                self._dirs.add(done)
                self._missing.discard(done)
        return f"{self._prefix}/{parent}" if parent else self._prefix

    def write(self, relpath: str, text: str | bytes) -> None:
        """Replace OUTPUT/relpath atomically: readers see the old file or the new one, never half."""
        self.stage(relpath, (text.encode() if isinstance(text, str) else text,)).commit()

    def stage(self, relpath: str, chunks: Iterable[bytes]) -> Staged:
        """Write OUTPUT/relpath's new bytes to a temp file beside it; Staged.commit() puts it in place."""
        parent = self._parent(relpath)
        # A name of our own, created exclusively, costs less than mkstemp's
        # random tries; mkstemp remains for the name that is somehow taken.
        tmp = self._temp_name(parent)
        try:
            fd = os.open(tmp, _CREATE, 0o644)
        except FileExistsError:
            fd, tmp = tempfile.mkstemp(dir=parent, prefix=TEMP_PREFIX)
            self._chmod = True
        self._fill(fd, tmp, chunks)
        where = self._where(relpath)
        return Staged(self, tmp, self._prefix + "/" + where, where != relpath)

    def _temp_name(self, parent: str) -> str:
        return f"{parent}/{TEMP_PREFIX}{self._pid}-{next(self._temp_names)}"

    def _fill(self, fd: int, path: str, chunks: Iterable[bytes]) -> None:
        """Write `chunks` to the new file `fd` at `path`, and close it; the file is removed if that fails."""
        try:
            try:
                _write_all(fd, chunks)
                if self._chmod:
                    os.fchmod(fd, 0o644)
            finally:
                os.close(fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise

    def write_pages(self, pages: Iterable[tuple[str, str]]) -> None:
        """Write pages, a folder of the output at a time (see write_folder); a page at the top is written alone."""
        folder: str | None = None
        prefix = ""
        group: list[tuple[str, bytes]] = []
        for relpath, text in pages:
            if group and relpath.startswith(prefix):
                group.append((relpath, text.encode()))
                continue
            if group:
                assert folder is not None
                self.write_folder(folder, group)
                group = []
            folder = _folder(relpath)
            if folder is None:
                self.write(relpath, text)
            else:
                prefix = folder + "/"
                group.append((relpath, text.encode()))
        if group:
            assert folder is not None
            self.write_folder(folder, group)

    def write_folder(self, folder: str, files: list[tuple[str, bytes]]) -> None:
        """Write files that all lie in `folder` (paths relative to the output), replacing each atomically.

        A folder that does not exist yet is filled under a temp name and
        renamed into place whole: readers see all of it or nothing, and its
        files cost no rename each (a new index writes a folder per project
        and a file per release in it).
        """
        parent = self._parent(folder)
        prefix = folder + "/"
        folder = self._where(folder)
        target = f"{self._prefix}/{folder}"
        # A folder is new if its parent was made by this process just now, or if it is not there.
        new = folder not in self._dirs and (folder.rpartition("/")[0] in self._made or not os.path.lexists(target))
        if not new:
            self._write_each(files)
            return
        # In a hidden top folder, a new folder is made in place (see hide_new).
        hidden = folder.partition("/")[0] in self._hiding
        tmp = target if hidden else self._temp_name(parent)
        cut = len(prefix)
        made = {""}
        # (Made before the try: a folder of that name that is there already is not ours to remove.)
        os.mkdir(tmp)
        try:
            for relpath, data in files:
                if not relpath.startswith(prefix):
                    raise OutputError(f"refusing to write {relpath!r} with the folder {prefix[:-1]!r}")
                inner = check_relpath(relpath)[cut:]
                sub = inner.rpartition("/")[0]
                if sub not in made:
                    done = ""
                    for segment in sub.split("/"):
                        done = f"{done}/{segment}" if done else segment
                        if done not in made:
                            os.mkdir(f"{tmp}/{done}")
                            made.add(done)
                path = f"{tmp}/{inner}"
                self._fill(os.open(path, _CREATE, 0o644), path, (data,))
            try:
                if not hidden:
                    os.rename(tmp, target)
            except OSError as e:
                if e.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                    raise
                # The folder came into being after all: each file goes into it on its own.
                shutil.rmtree(tmp, ignore_errors=True)
                self._write_each(files)
                return
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        # (Not the folders inside: nothing is written there again, and a
        # million files make hundreds of thousands of them.)
        self._dirs.add(folder)
        self.written += len(files)

    def _write_each(self, files: list[tuple[str, bytes]]) -> None:
        for relpath, data in files:
            self.write(relpath, data)

    def is_published(self, relpath: str, source: Path) -> bool:
        """Whether OUTPUT/relpath already is the file at `source`: its hard link, or a copy of the same size and mtime."""
        wanted = os.stat(source)
        try:
            # lstat: a symlink planted at the target is never taken for the file.
            present = os.lstat(os.path.join(self.root, check_relpath(relpath)))
        except FileNotFoundError:
            return False
        return stat.S_ISREG(present.st_mode) and (
            (present.st_dev, present.st_ino) == (wanted.st_dev, wanted.st_ino)
            or (present.st_size, present.st_mtime_ns) == (wanted.st_size, wanted.st_mtime_ns)
        )

    def publish_file(self, relpath: str, source: Path) -> None:
        """Replace OUTPUT/relpath atomically by the file at `source`, which is left as it was.

        A hard link where the file system allows (no copy of a large wheel),
        else a copy that keeps the source's mtime, so that `is_published`
        recognises it on a later run.
        """
        parent = self._parent(relpath)
        Staged(self, _link_or_copy(source, parent), self._prefix + "/" + self._where(relpath)).commit()

    def delete(self, relpath: str) -> None:
        """Delete a file we generated, then the folders it leaves empty (never the root)."""
        path = self._parent(relpath) + "/" + relpath.rpartition("/")[2]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
            self.deleted += 1
        parent = os.path.dirname(relpath)
        while parent:
            try:
                os.rmdir(os.path.join(self.root, parent))
            except OSError:
                break
            self._dirs.discard(parent)
            self._made.discard(parent)
            parent = os.path.dirname(parent)

    def read_manifest(self, paths: bool = True) -> Manifest | None:
        """The last run's manifest; with paths=False, all of it but the paths, which is cheap to read.

        A manifest is two lines: the header, then every path. (An older one
        is one line that has it all.)
        """
        try:
            with open(self.root / MANIFEST_NAME, "rb") as f:
                header = json.loads(f.readline())
                if "paths" in header:
                    listed = header["paths"]
                else:
                    listed = json.loads(f.read()) if paths else []
            return Manifest(
                settings=header["settings"],
                paths=check_relpaths(listed),
                lists={str(k): str(v) for k, v in header.get("lists", {}).items()},
                read=dict(header.get("read", {})),
            )
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, AttributeError, OutputError):
            # A damaged or missing manifest licenses no deletion; this run rewrites it.
            return None

    def write_manifest(self, manifest: Manifest, paths: str | None = None) -> None:
        """Write the manifest; `paths`, its paths line as edit_paths gives it, stands for manifest.paths."""
        header = {"settings": manifest.settings, "lists": manifest.lists, "read": manifest.read}
        first = (json.dumps(header, separators=(",", ":"), sort_keys=True) + "\n").encode()
        if paths is not None:
            self.write(MANIFEST_NAME, first + (paths + "\n").encode())
        else:
            self.stage(MANIFEST_NAME, itertools.chain((first,), _json_array(sorted(manifest.paths), b"", b"\n"))).commit()

    def read_manifest_paths(self) -> str:
        """The manifest's paths line as it stands: a sorted JSON array, to edit with edit_paths."""
        with open(self.root / MANIFEST_NAME, encoding="utf-8") as f:
            f.readline()
            return f.readline().rstrip("\n")

    def read_journal(self) -> frozenset[str] | None:
        """The paths an interrupted run may have created, or None when the last run finished.

        The journal is a line for `begin` and one for each `extend_journal`.
        A line cut short was being added when the run stopped: it wrote none
        of that line's paths yet.
        """
        try:
            with open(self.root / JOURNAL_NAME, "rb") as f:
                lines = f.read().split(b"\n")
        except FileNotFoundError:
            return None
        paths: set[str] = set()
        try:
            for line in lines[:-1]:
                paths.update(map(check_relpath, json.loads(line)["paths"]))
        except (ValueError, KeyError, TypeError, OutputError):
            pass
        return frozenset(paths)

    def begin(self, new_paths: Iterable[str]) -> None:
        """Before the first write: record that a run is under way, and which new paths it may create."""
        # (In no order: it is read back as a set, and sorting a million paths costs.)
        self.stage(JOURNAL_NAME, _json_array(new_paths, b'{"paths":', b"}\n")).commit()

    def extend_journal(self, new_paths: Iterable[str]) -> None:
        """Add paths this run may create to the journal, before it writes any of them."""
        fd = os.open(self.root / JOURNAL_NAME, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            _write_all(fd, _json_array(new_paths, b'{"paths":', b"}\n"))
        finally:
            os.close(fd)

    def end(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.root / JOURNAL_NAME)

    def remove_temp_files(self) -> None:
        """Temp files and folders a killed run left behind (only ours: they carry our prefix)."""
        for folder, dirs, files in os.walk(self.root):
            for name in files:
                if name.startswith(TEMP_PREFIX):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(folder, name))
            for name in [name for name in dirs if name.startswith(TEMP_PREFIX)]:
                # (os.walk lists symlinks to folders among dirs: rmtree refuses those, unlink does not follow them.)
                path = os.path.join(folder, name)
                if os.path.islink(path):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(path)
                else:
                    shutil.rmtree(path, ignore_errors=True)
                dirs.remove(name)

    def delete_all(self, relpaths: Iterable[str]) -> None:
        for relpath in sorted(relpaths, key=lambda p: (-p.count("/"), p)):
            self.delete(relpath)


def _write_all(fd: int, chunks: Iterable[bytes]) -> None:
    for chunk in chunks:
        done = os.write(fd, chunk)
        while done < len(chunk):
            done += os.write(fd, memoryview(chunk)[done:])


def _json_array(items: Iterable[str], before: bytes, after: bytes, piece: int = 4096) -> Iterator[bytes]:
    """before + the JSON array of `items` + after, in pieces, as json.dumps with separators (",", ":") writes it."""
    yield before + b"["
    items = iter(items)
    comma = b""
    while chunk := list(itertools.islice(items, piece)):
        yield comma + json.dumps(chunk, separators=(",", ":"))[1:-1].encode()
        comma = b","
    yield b"]" + after


def edit_paths(line: str, drop: Iterable[str], add: Iterable[str]) -> str:
    """A manifest's paths line with paths dropped and added, edited as text where they go.

    The line is a sorted JSON array of strings; inside a string every '"'
    is escaped, so, as no path we write starts or ends with ',', '","' is
    only ever where one element ends and the next begins. Each path is found
    by bisection, never by reading every path (a large index has a million).
    Raises ValueError for a path to drop that is not there, to add that is,
    a path that starts or ends with ',', or a line that is not such an array.
    """
    if not (line.startswith("[") and line.endswith("]")):
        raise ValueError("not a JSON array")
    drop, add = list(drop), list(add)
    if any(path.startswith(",") or path.endswith(",") for path in drop + add):
        raise ValueError("a path that starts or ends with ','")
    # Where, whether to drop the element there (1) or put one before it (0), the path, and the element's text.
    edits: list[tuple[int, int, str, str]] = []
    for path in drop:
        at = _element_at(line, path)
        if at >= len(line) - 1 or scan_json_string(line, at + 1)[0] != path:
            raise ValueError(f"{path!r} is not in the manifest")
        edits.append((at, 1, path, ""))
    for path in add:
        at = _element_at(line, path)
        if at < len(line) - 1 and scan_json_string(line, at + 1)[0] == path:
            raise ValueError(f"{path!r} is in the manifest already")
        edits.append((at, 0, path, json.dumps(path)))
    edits.sort()
    pieces = []
    done = 1
    for at, dropped, _, element in edits:
        piece = line[done:at]
        pieces.append(piece if not piece or piece.endswith(",") else piece + ",")
        if dropped:
            end = scan_json_string(line, at + 1)[1]
            done = end + 1 if line[end] == "," else end
        else:
            pieces.append(element + ",")
            done = at
    pieces.append(line[done:-1])
    return "[" + "".join(pieces).removesuffix(",") + "]"


def _element_at(line: str, path: str) -> int:
    """Where, in a manifest's paths line, the first element not before `path` starts (its '"'; the ']' if none)."""
    low, high = 1, len(line) - 1  # both where an element starts, or the ']'
    while low < high:
        boundary = line.rfind('","', low, (low + high) // 2 + 1)
        start = low if boundary < 0 else boundary + 2
        value, end = scan_json_string(line, start + 1)
        if value < path:
            low = end + 1 if line[end] == "," else end
        else:
            high = start
    return low


# Reads the JSON string whose first character (after its '"') is at an index:
# its value, and the index after its closing '"'.
scan_json_string: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


# Why a hard link cannot be made: another file system, one without hard
# links, too many links to the file, or a kernel that forbids linking files
# the process does not own (fs.protected_hardlinks).
_NO_LINK = frozenset({errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES})


def _link_or_copy(source: Path, parent: str) -> str:
    """A new temporary file in `parent` that is `source`: its hard link, or a copy; returns its path."""
    for _ in range(100):
        tmp = os.path.join(parent, f"{TEMP_PREFIX}{secrets.token_hex(8)}")
        try:
            # link() creates tmp exclusively, so a name taken meanwhile is an error, not a race.
            os.link(source, tmp)
            return tmp
        except FileExistsError:
            continue
        except OSError as e:
            if e.errno not in _NO_LINK:
                raise
            break
    fd, tmp = tempfile.mkstemp(dir=parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, 1 << 20)
            os.fchmod(out.fileno(), 0o644)
            wanted = os.fstat(src.fileno())
        os.utime(tmp, ns=(wanted.st_atime_ns, wanted.st_mtime_ns))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


@contextlib.contextmanager
def locked(root: Path, wait: float) -> Iterator[Output]:
    """Hold the output folder's lock for a whole run; wait up to `wait` seconds for another run."""
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise OutputError(f"cannot use output folder {root}: {e.strerror}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as e:
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise OutputError(f"cannot lock {root / LOCK_NAME}: {e.strerror}") from None
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"another dumb-pypi run holds {root / LOCK_NAME}"
                        f" (waited {wait:g}s; see --lock-wait)"
                    ) from None
                time.sleep(0.1)
        yield Output(root)
    finally:
        os.close(fd)
