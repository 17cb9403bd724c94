"""Worker processes for large builds: they read parts of a list and write projects' pages.

They are started before the list is read, so they share none of the model
with the parent: each task brings what it needs, pickled. (Workers forked
after the model was built would share its pages, and CPython's reference
counts write to every object a process touches, so each page touched would
be copied: memory would double.)
"""
from __future__ import annotations

import contextlib
import functools
import gc
import multiprocessing
import multiprocessing.process
import os
import pickle
import queue
import signal
import threading
import types
import warnings
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TypeVar

from dumb_pypi import model, plan
from dumb_pypi.errors import DumbPypiError
from dumb_pypi.inputs import Part, read_part
from dumb_pypi.model import Package, Project, assemble_project
from dumb_pypi.publish import Output
from dumb_pypi.render import Site

# The work a build must have before processes pay off: starting them costs
# about as much as writing this many pages, or reading this many bytes.
MIN_PAGES = 256
MIN_BYTES = 1 << 16


class Workers:
    """`jobs` forked processes, each with a pipe of its own to the parent.

    (Not multiprocessing.Pool: its workers share locks, and stopping it while
    a worker holds one, as a failed build must, can hang.)
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        context = multiprocessing.get_context("fork")
        self._pipes: list[Connection] = []
        self._processes: list[multiprocessing.process.BaseProcess] = []
        with warnings.catch_warnings():
            # Python 3.12 warns about fork in a process with threads (a test's
            # server, say); the workers take no lock the threads could hold.
            warnings.simplefilter("ignore", DeprecationWarning)
            for _ in range(jobs):
                ours, theirs = context.Pipe()
                process = context.Process(target=_serve, args=(theirs,), daemon=True)
                process.start()
                theirs.close()
                self._pipes.append(ours)
                self._processes.append(process)

    def each_streamed(self, function: Callable[[Any], Iterator[T]], tasks: list[Any]) -> list[Callable[[], Iterator[T]]]:
        """Start function(task) for each task, one task a worker; each returned callable gives its items as they come."""
        assert len(tasks) <= self.jobs
        for pipe, task in zip(self._pipes, tasks):
            pipe.send((function, task))
        return [functools.partial(_items, pipe) for pipe in self._pipes[:len(tasks)]]

    def map_unordered(self, function: Callable[[Any], T], tasks: Iterable[Any]) -> Iterator[T]:
        """function(task) for each task, in whichever worker is free; the results in the order they come."""
        pending = iter(tasks)
        idle = list(reversed(self._pipes))
        busy: list[Connection] = []
        while True:
            while idle:
                task = next(pending, _DONE)
                if task is _DONE:
                    break
                pipe = idle.pop()
                pipe.send((function, task))
                busy.append(pipe)
            if not busy:
                return
            for ready in wait(busy):
                assert isinstance(ready, Connection)
                busy.remove(ready)
                idle.append(ready)
                yield _result(ready)

    def read_parts(
        self, path: str, splits: list[tuple[int, int]], json_lines: bool, strict: bool, identity: tuple[int, ...],
    ) -> list[Callable[[], Iterator[Part]]]:
        """Read the parts of a list (one a worker); each callable gives its part in pieces, as they come."""
        return self.each_streamed(_read_part, [(path, start, end, json_lines, strict, identity) for start, end in splits])

    def write_projects(self, output: Output, site: Site, spans: Iterable[list[Project]]) -> Iterator[int]:
        """Write the pages of each run of projects in `spans`; yields the count of pages each run wrote."""
        hidden = output.hidden()
        return self.map_unordered(_write_projects, ((output.root, hidden, site, _pickled(span)) for span in spans))

    def close(self) -> None:
        # (Closing the pipes would not do: each worker holds copies of the
        # pipes of the workers started before it.)
        for pipe in self._pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
            pipe.close()
        for process in self._processes:
            process.join()

    def kill(self) -> None:
        for process in self._processes:
            process.kill()
        for process in self._processes:
            process.join()
        for pipe in self._pipes:
            pipe.close()


_DONE = object()
T = TypeVar("T")


def _result(pipe: Connection) -> Any:
    try:
        ok, value = pipe.recv()
    except EOFError:
        raise DumbPypiError("a worker process died") from None
    if not ok:
        raise value
    return value


def _items(pipe: Connection) -> Iterator[Any]:
    """The items a worker sends one by one (a reply of None each), until its last reply."""
    while True:
        try:
            ok, value = pipe.recv()
        except EOFError:
            raise DumbPypiError("a worker process died") from None
        if ok is None:
            yield value
        elif ok:
            return
        else:
            raise value


def _serve(pipe: Connection) -> None:
    """A worker's life: run what the parent sends until it closes the pipe."""
    # The parent turns Ctrl-C into exit code 130 and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent starts workers with the garbage collector off (see build.py); rendering needs it.
    gc.enable()
    while True:
        try:
            work = pipe.recv()
        except EOFError:
            return
        if work is None:
            return
        function, task = work
        try:
            value = function(task)
            if isinstance(value, types.GeneratorType):
                _send_all(pipe, value)
                value = None
            reply: tuple[bool, Any] = (True, value)
        except Exception as e:
            reply = (False, e if _picklable(e) else DumbPypiError(f"{type(e).__name__}: {e}"))
        pipe.send(reply)


def _send_all(pipe: Connection, items: Iterator[Any]) -> None:
    """Send each item (a reply of None) as it is made.

    A thread sends them, so that making the next item never waits for the
    parent to take the last (it reads its own part of the list first); what
    waits meanwhile is pickled, several times smaller than the objects.
    """
    pending: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    failed: list[BaseException] = []

    def send() -> None:
        while (data := pending.get()) is not None:
            if not failed:
                try:
                    pipe.send_bytes(data)
                except BaseException as e:
                    failed.append(e)

    sender = threading.Thread(target=send, name="dumb-pypi-send", daemon=True)
    sender.start()
    try:
        for item in items:
            if failed:
                break
            pending.put(pickle.dumps((None, item), pickle.HIGHEST_PROTOCOL))
    finally:
        pending.put(None)
        sender.join()
    if failed:
        raise failed[0]


def _picklable(error: Exception) -> bool:
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return False
    return True


@contextlib.contextmanager
def started(jobs: int) -> Iterator[Workers | None]:
    """`jobs` workers, or None for a build in this process alone."""
    if jobs < 1:
        yield None
        return
    workers = Workers(jobs)
    try:
        yield workers
    except BaseException:
        workers.kill()
        raise
    workers.close()


def _read_part(task: tuple[str, int, int, bool, bool, tuple[int, ...]]) -> Iterator[Part]:
    path, start, end, json_lines, strict, identity = task
    if file_identity(path) != identity:
        raise DumbPypiError(f"{path} changed while it was being read")
    with _no_collections():
        yield from read_part(path, start, end, json_lines, strict)
    model.forget()


@contextlib.contextmanager
def _no_collections() -> Iterator[None]:
    """Making many objects and no cycles, as reading does: the garbage collector would only walk them.

    What was made is frozen: later collections leave it alone too, and it
    is freed as usual once unused.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def file_identity(path: str) -> tuple[int, ...]:
    """What tells one file from another, or the same file after a change."""
    st = os.stat(path)
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def spans(projects: Iterable[Project], size: int) -> Iterator[list[Project]]:
    """Runs of whole projects of about `size` files."""
    span: list[Project] = []
    files = 0
    for project in projects:
        span.append(project)
        files += len(project.files)
        if files >= size:
            yield span
            span, files = [], 0
    if span:
        yield span


def _pickled(span: list[Project]) -> bytes:
    """A run of projects as plain tuples of their files and their releases' cuts, pickled (see assemble_project)."""
    return pickle.dumps(
        [
            (tuple(map(tuple, project.files)), [(r.version, len(r.files), r.prerelease) for r in project.releases])
            for project in span
        ],
        pickle.HIGHEST_PROTOCOL,
    )


_output: Output | None = None


def _write_projects(task: tuple[Path, dict[str, str], Site, bytes]) -> int:
    global _output
    root, hidden, site, blob = task
    if _output is None or _output.root != root:
        _output = Output(root)
    _output.adopt_hidden(hidden)
    written = 0
    with _no_collections():
        projects = [
            assemble_project(tuple(map(Package._make, files)), releases) for files, releases in pickle.loads(blob)
        ]
    for project in projects:
        written += write_project(_output, project, site)
    return written


def write_project(output: Output, project: Project, site: Site) -> int:
    """Write a project's pages; returns how many."""
    pages = [(page.path, page.render()) for page in plan.project_pages(project, site)]
    output.write_pages(pages)
    return len(pages)
