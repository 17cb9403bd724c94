"""Real distributions, a loopback HTTP server and offline pip/uv runs for the tests."""
from __future__ import annotations

import base64
import contextlib
import email.parser
import functools
import gzip
import hashlib
import html.parser
import http.client
import importlib
import inspect
import io
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
import time
import types
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple, NoReturn, cast

import pytest

# CI sets this so that a missing pip, uv, nginx or browser fails the run
# instead of quietly skipping the tests that need it.
SYSTEM_TESTS_REQUIRED: bool = os.environ.get("DUMB_PYPI_REQUIRE_SYSTEM_TESTS") == "1"

_PROXY_VARIABLES = frozenset({"http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy"})


def _missing(message: str) -> NoReturn:
    if SYSTEM_TESTS_REQUIRED:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def require_tool(name: str, why: str) -> str:
    """The path of executable NAME; skip the test (fail on CI) when it is missing."""
    path: str | None
    if name == "uv":
        try:
            import uv as uv_package

            path = uv_package.find_uv_bin()
        except (ImportError, FileNotFoundError):
            path = shutil.which("uv")
    else:
        # Programs installed from requirements-dev.txt (the aws CLI) live beside
        # this interpreter, which need not be on PATH.
        search = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", os.defpath)])
        path = shutil.which(name, path=search)
    if path is None:
        _missing(f"{name} not installed: {why}")
    return path


def require_module(name: str, why: str) -> types.ModuleType:
    """Import module NAME; skip the test (fail on CI) when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        _missing(f"{name} not installed: {why}")


# --- Distributions -------------------------------------------------------
#
# The functions that `_backend_source` lists use only the standard library:
# their source is copied into the build backend of every sdist, so a wheel
# that pip or uv builds from an sdist is made by the very code that
# `make_wheel` runs.

_EPOCH = (1980, 1, 1, 0, 0, 0)
_SDIST_MTIME = 315532800  # 1980-01-01, the same instant as the wheels' entries


def module_name(name: str) -> str:
    """The import name of the module that the distributions of NAME contain."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _core_metadata(
    name: str,
    version: str,
    summary: str,
    requires_python: str | None,
    requires_dist: Sequence[str],
) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}"]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines.extend(f"Requires-Dist: {requirement}" for requirement in requires_dist)
    return "\n".join(lines) + "\n\n"


def _dist_info(metadata: str) -> str:
    fields = email.parser.HeaderParser().parsestr(metadata)
    name = re.sub(r"[-_.]+", "_", fields["Name"])
    return f"{name}-{fields['Version'].replace('-', '_')}.dist-info"


def _module_files(metadata: str) -> dict[str, bytes]:
    fields = email.parser.HeaderParser().parsestr(metadata)
    source = f"__version__ = {fields['Version']!r}\n"
    return {f"{module_name(fields['Name'])}/__init__.py": source.encode()}


def _write_wheel(
    directory: str,
    metadata: str,
    files: Mapping[str, bytes],
    tag: str,
    build: str | None,
) -> str:
    """Write a wheel of FILES described by core METADATA into DIRECTORY; return its filename."""
    dist_info = _dist_info(metadata)
    interpreters, abis, platforms = (part.split(".") for part in tag.split("-"))
    wheel = "Wheel-Version: 1.0\nGenerator: dumb-pypi tests\nRoot-Is-Purelib: true\n"
    wheel += "".join(f"Tag: {'-'.join(t)}\n" for t in itertools.product(interpreters, abis, platforms))
    if build is not None:
        wheel += f"Build: {build}\n"
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = metadata.encode()
    contents[f"{dist_info}/WHEEL"] = wheel.encode()
    record = ""
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record += f"{path},sha256={digest},{len(data)}\n"
    contents[f"{dist_info}/RECORD"] = (record + f"{dist_info}/RECORD,,\n").encode()

    filename = "-".join(
        [dist_info[: -len(".dist-info")]] + ([build] if build is not None else []) + [tag]
    ) + ".whl"
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, data in contents.items():
            info = zipfile.ZipInfo(path, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return filename


def _write_sdist(directory: str, metadata: str, files: Mapping[str, bytes]) -> str:
    """Write an sdist of FILES described by core METADATA into DIRECTORY; return its filename."""
    fields = email.parser.HeaderParser().parsestr(metadata)
    stem = f"{fields['Name']}-{fields['Version']}"
    contents = dict(files)
    contents["PKG-INFO"] = metadata.encode()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(contents):
            info = tarfile.TarInfo(f"{stem}/{path}")
            info.size = len(contents[path])
            info.mtime = _SDIST_MTIME
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(contents[path]))
    filename = f"{stem}.tar.gz"
    with open(os.path.join(directory, filename), "wb") as out:
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as compressed:
            compressed.write(buffer.getvalue())
    return filename


# The PEP 517 hooks of the sdists' in-tree backend; they run in the unpacked
# sdist, with the functions above pasted before them.
_BACKEND_HOOKS = '''

def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _metadata():
    return _read("PKG-INFO").decode()


def _tree():
    files = {}
    for folder, folders, names in os.walk("."):
        folders[:] = sorted(f for f in folders if f != "__pycache__")
        for name in sorted(names):
            path = os.path.relpath(os.path.join(folder, name)).replace(os.sep, "/")
            if path != "PKG-INFO":
                files[path] = _read(path)
    return files


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = _dist_info(_metadata())
    os.mkdir(os.path.join(metadata_directory, dist_info))
    with open(os.path.join(metadata_directory, dist_info, "METADATA"), "w") as f:
        f.write(_metadata())
    return dist_info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _metadata(), _module_files(_metadata()), "py3-none-any", None)


def build_sdist(sdist_directory, config_settings=None):
    return _write_sdist(sdist_directory, _metadata(), _tree())
'''

_PYPROJECT = """\
[build-system]
requires = []
build-backend = "backend"
backend-path = ["."]
"""


@functools.cache
def _backend_source() -> str:
    shared: list[Callable[..., object]] = [module_name, _dist_info, _module_files, _write_wheel, _write_sdist]
    header = (
        '"""A stdlib-only PEP 517 backend, so that pip and uv build this sdist offline."""\n'
        "from __future__ import annotations\n\n"
        "import base64, email.parser, gzip, hashlib, io, itertools, os, re, tarfile, zipfile\n"
        "from collections.abc import Mapping, Sequence\n\n"
        f"_EPOCH = {_EPOCH!r}\n"
        f"_SDIST_MTIME = {_SDIST_MTIME!r}\n"
    )
    functions = "".join("\n\n" + inspect.getsource(function) for function in shared)
    return header + functions + _BACKEND_HOOKS


def make_wheel(
    directory: Path,
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    requires_dist: Sequence[str] = (),
    summary: str = "A test distribution.",
    tag: str = "py3-none-any",
    build: str | None = None,
) -> Path:
    """Write an installable wheel of module `module_name(name)`; the same arguments give the same bytes."""
    metadata = _core_metadata(name, version, summary, requires_python, requires_dist)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / _write_wheel(str(directory), metadata, _module_files(metadata), tag, build)


def make_sdist(
    directory: Path,
    name: str,
    version: str,
    *,
    requires_python: str | None = None,
    summary: str = "A test distribution.",
) -> Path:
    """Write `{name}-{version}.tar.gz`, an sdist that pip and uv build with no network."""
    metadata = _core_metadata(name, version, summary, requires_python, ())
    files = {
        **_module_files(metadata),
        "pyproject.toml": _PYPROJECT.encode(),
        "backend.py": _backend_source().encode(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    return directory / _write_sdist(str(directory), metadata, files)


def sha256(path: Path) -> str:
    """The hex sha256 of the file at PATH."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def json_record(dist: Path, **fields: object) -> dict[str, object]:
    """A `--package-list-json` record of DIST with its real hash and size, plus FIELDS."""
    record: dict[str, object] = {
        "filename": dist.name,
        "hash": f"sha256={sha256(dist)}",
        "size": dist.stat().st_size,
    }
    record.update(fields)
    return record


def write_json_list(path: Path, records: Iterable[Mapping[str, object]]) -> Path:
    """Write RECORDS to PATH as JSON lines, the `--package-list-json` format."""
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def build_index(tmp_path: Path, *argv: str) -> int:
    """Run `dumb-pypi ARGV` in-process with TMP_PATH as working directory; return its exit code."""
    from dumb_pypi.cli import main

    with contextlib.chdir(tmp_path):
        return main(list(argv))


class _AnchorParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: dict[str, dict[str, str | None]] = {}
        self._open: dict[str, str | None] | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), ""

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors[self._text] = self._open
            self._open = None


def anchors(page: str) -> dict[str, dict[str, str | None]]:
    """The anchors of an HTML page as pip reads them: text -> unescaped attributes (None when bare)."""
    parser = _AnchorParser()
    parser.feed(page)
    parser.close()
    return parser.anchors


# --- Serving --------------------------------------------------------------


class Server:
    """A running `serve`: where it listens, and every GET it answered."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.requests: list[tuple[str, str]] = []  # (path, Accept header)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    record: Server


class _Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        server = cast(_HTTPServer, self.server)
        server.record.requests.append((self.path, self.headers.get("Accept", "")))
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[Server]:
    """Serve DIRECTORY over HTTP on 127.0.0.1 (a free port) until the block exits."""
    handler = functools.partial(_Handler, directory=str(directory))
    httpd = _HTTPServer(("127.0.0.1", 0), handler)
    httpd.record = Server(f"http://127.0.0.1:{httpd.server_address[1]}/")
    # A short poll interval makes shutdown() quick.
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), name="serve", daemon=True)
    thread.start()
    try:
        yield httpd.record
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


# --- nginx ----------------------------------------------------------------

NGINX_CONF = Path(__file__).resolve().parent.parent / "contrib" / "nginx.conf"
# The lines of the shipped config that a deployment changes, and the test too.
_SHIPPED_ROOT = "root /srv/pypi;"
_SHIPPED_LISTEN = "listen 80;"

_LOG_FORMAT = (
    '{"method":"$request_method","request":"$request_uri","served":"$uri","status":"$status",'
    '"accept":"$http_accept","content_type":"$sent_http_content_type","agent":"$http_user_agent"}'
)


class Hit(NamedTuple):
    """One request as nginx logged it; `served` is the file after negotiation and index lookup."""

    method: str
    request: str
    served: str
    status: int
    accept: str
    content_type: str
    agent: str


class Nginx:
    """A running nginx: its URL and its access log."""

    def __init__(self, url: str, access_log: Path, error_log: Path) -> None:
        self.url = url
        self.access_log = access_log
        self.error_log = error_log

    def hits(self) -> list[Hit]:
        """Every request so far, oldest first."""
        hits = []
        for line in self.access_log.read_text().splitlines():
            record = json.loads(line)
            record["status"] = int(record["status"])
            hits.append(Hit(**record))
        return hits


def _nginx_binary() -> str:
    # nginx lives in sbin, which a non-root PATH often lacks.
    path = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin:/sbin")
    if path is None:
        _missing("nginx not installed: the nginx tests serve the index with the shipped contrib/nginx.conf")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shipped_nginx_server(root: Path, port: int) -> str:
    """contrib/nginx.conf with only its root and listen lines changed."""
    text = NGINX_CONF.read_text()
    for line in (_SHIPPED_ROOT, _SHIPPED_LISTEN):
        assert text.count(line) == 1, f"contrib/nginx.conf should have the line {line!r} exactly once"
    return text.replace(_SHIPPED_ROOT, f'root "{root}";').replace(_SHIPPED_LISTEN, f"listen 127.0.0.1:{port};")


def _nginx_main_conf(binary: str, workdir: Path, server_conf: Path) -> str:
    """The nginx.conf of the test instance: a distribution's usual http {} with the shipped file included."""
    configure = subprocess.run([binary, "-V"], capture_output=True, text=True, check=True).stderr
    conf_path = re.search(r"--conf-path=(\S+)", configure)
    mime_types = Path(conf_path.group(1) if conf_path else "/etc/nginx/nginx.conf").parent / "mime.types"
    # Every temporary folder of a compiled-in module must be writable by us.
    temp_paths = "".join(
        f"    {module}_temp_path {workdir / module};\n"
        for module in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        if module == "client_body" or f"--without-http_{module}_module" not in configure
    )
    # Workers of a root master drop to "nobody", who cannot read pytest's
    # private temporary folders; under root, keep them root.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}worker_processes 1;\n"
        f"pid {workdir / 'nginx.pid'};\n"
        f"error_log {workdir / 'error.log'} info;\n"
        "events { worker_connections 64; }\n"
        "http {\n"
        + (f"    include {mime_types};\n" if mime_types.is_file() else "")
        + "    default_type application/octet-stream;\n"
        + f"    log_format dumb_pypi_test escape=json '{_LOG_FORMAT}';\n"
        + f"    access_log {workdir / 'access.log'} dumb_pypi_test;\n"
        + temp_paths
        + f"    include {server_conf};\n"
        + "}\n"
    )


@contextlib.contextmanager
def serve_nginx(root: Path, workdir: Path) -> Iterator[Nginx]:
    """Serve ROOT with real nginx and the shipped contrib/nginx.conf on 127.0.0.1 until the block exits."""
    binary = _nginx_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    server_conf = workdir / "dumb-pypi.conf"
    main_conf = workdir / "nginx.conf"
    error_log = workdir / "error.log"
    main_conf.write_text(_nginx_main_conf(binary, workdir, server_conf))
    (workdir / "access.log").touch()
    command = [binary, "-p", str(workdir), "-c", str(main_conf), "-e", str(error_log), "-g", "daemon off;"]
    # Another program may take the free port before nginx binds it: try another.
    for attempt in range(3):
        port = _free_port()
        server_conf.write_text(shipped_nginx_server(root, port))
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            listening = _wait_until_listening(process, port, error_log, last_try=attempt == 2)
        except BaseException:
            _stop(process)
            raise
        if listening:
            break
        _stop(process)
    try:
        yield Nginx(f"http://127.0.0.1:{port}/", workdir / "access.log", error_log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, error_log: Path, last_try: bool) -> bool:
    """True once nginx accepts connections; False if it could not bind and may try another port."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            log = error_log.read_text(errors="replace") if error_log.exists() else ""
            if "Address already in use" in output + log and not last_try:
                return False
            raise AssertionError(f"nginx exited with {process.returncode}:\n{output}\n{log}")
        # Ask over HTTP: whatever else holds the port does not answer as nginx.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request("HEAD", "/")
            if connection.getresponse().getheader("Server", "").startswith("nginx"):
                return True
        except (OSError, http.client.HTTPException):
            pass
        finally:
            connection.close()
        time.sleep(0.05)
    raise AssertionError(f"nginx did not answer on 127.0.0.1:{port} within 10 s")


# --- pip and uv -------------------------------------------------------------


def _environment(drop_prefix: str, **settings: str) -> dict[str, str]:
    # The machine's PIP_*/UV_* settings and proxies point at other indexes;
    # a test talks only to the servers it starts.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(drop_prefix) and key.lower() not in _PROXY_VARIABLES
    }
    env.update(settings)
    return env


def _run(command: Sequence[str], env: Mapping[str, str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def pip(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run this interpreter's pip with no configuration, cache or proxy; never raises on failure."""
    command = [sys.executable, "-m", "pip", "--isolated", "--disable-pip-version-check", "--no-cache-dir", *args]
    return _run(command, _environment("PIP_"), cwd)


def uv(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run uv with no configuration, cache, proxy or Python download; never raises on failure."""
    command = [require_tool("uv", "the uv integration tests run it"), *args]
    env = _environment(
        "UV_",
        UV_NO_CACHE="1",
        UV_NO_CONFIG="1",
        UV_PYTHON=sys.executable,
        UV_PYTHON_DOWNLOADS="never",
        UV_NO_PROGRESS="1",
    )
    return _run(command, env, cwd)


def output_tree(root: Path, skip: Iterable[str] = ()) -> dict[str, object]:
    """Every file below an output folder by relative path: its bytes, and the build cache by what it holds.

    marshal may write equal values in different bytes (it shares objects
    that happen to be one), so two caches are compared by their values.
    """
    from dumb_pypi.partial import CACHE_NAME, parse_cache

    return {
        p.relative_to(root).as_posix(): parse_cache(p.read_bytes()) if p.name == CACHE_NAME else p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name not in skip
    }
