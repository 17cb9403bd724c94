"""The S3 pipeline as users run it: real `aws` CLI output in, contrib/dumb-pypi-s3.sh publishing to a local S3 server, pip installing."""
from __future__ import annotations

import datetime
import json
import os
import shlex
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.support import anchors, make_sdist, make_wheel, pip, require_module, require_tool, serve

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "contrib" / "dumb-pypi-s3.sh"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
# The types the aws CLI gives the pages for people's files by their extension.
PEOPLE_TYPES = {
    "js": {"text/javascript", "application/javascript"},
    "css": {"text/css"},
    "xml": {"application/xml", "text/xml", "application/rss+xml"},
}

pytestmark = pytest.mark.system

# Runs moto's S3 server on a free loopback port, says which, and stops when
# the test closes its standard input (or dies).
_LAUNCHER = """\
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()
server.stop()
"""


class S3:
    """A local S3 server and the environment in which the real aws CLI and the script talk to it."""

    def __init__(self, endpoint: str, env: dict[str, str], log: Path) -> None:
        self.endpoint = endpoint
        self.env = env
        self.log = log  # the server's request log

    def served(self, path: str) -> bool:
        """Whether the server answered GET PATH with 200 (the log shows '+' for %2B)."""
        return f'"GET {urllib.parse.unquote(path)} HTTP/1.1" 200' in self.log.read_text()

    def run(self, *command: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, env=self.env, input=input, stdin=None if input is not None else subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120, check=False,
        )

    def aws(self, *args: str) -> str:
        result = self.run("aws", *args)
        assert result.returncode == 0, f"aws {shlex.join(args)}: exit {result.returncode}\n{result.stderr}"
        return result.stdout

    def make_public_bucket(self, bucket: str) -> None:
        """A bucket anyone may read, as the README's policy makes it: pip downloads without credentials."""
        self.aws("s3", "mb", f"s3://{bucket}")
        policy = {
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }],
        }
        self.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", json.dumps(policy))

    def objects(self, bucket: str) -> dict[str, dict[str, Any]]:
        """Every object of BUCKET as the server reports it: key -> Size, LastModified, ETag."""
        listed = json.loads(self.aws("s3api", "list-objects-v2", "--bucket", bucket, "--output", "json") or "{}")
        return {item["Key"]: item for item in listed.get("Contents", [])}

    def get(self, bucket: str, key: str) -> tuple[str, bytes]:
        """An anonymous GET, as pip or a browser would send it: (Content-Type, body)."""
        url = f"{self.endpoint}/{bucket}/{urllib.parse.quote(key)}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=30) as response:
            return response.headers["Content-Type"], response.read()


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3]:
    require_module("moto.server", "the S3 tests run moto's S3 server (pip install -r requirements-dev.txt)")
    aws = require_tool("aws", "the S3 tests run the aws CLI (pip install -r requirements-dev.txt)")
    dumb_pypi = require_tool("dumb-pypi", "contrib/dumb-pypi-s3.sh runs the installed dumb-pypi")
    require_tool("flock", "contrib/dumb-pypi-s3.sh takes its lock with flock (util-linux)")
    config = tmp_path_factory.mktemp("aws")
    log = config / "server.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, text=True,
        )
    assert server.stdin is not None and server.stdout is not None
    try:
        port = int(server.stdout.readline())
        endpoint = f"http://127.0.0.1:{port}"
        env = {
            key: value for key, value in os.environ.items()
            if not key.startswith("AWS_") and not key.lower().endswith("_proxy")
        }
        env.update(
            # The venv's aws and dumb-pypi, whatever else is on PATH.
            PATH=os.pathsep.join(dict.fromkeys([os.path.dirname(aws), os.path.dirname(dumb_pypi), env.get("PATH", "")])),
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE=str(config / "config"),
            AWS_SHARED_CREDENTIALS_FILE=str(config / "credentials"),
            AWS_EC2_METADATA_DISABLED="true",
            # Honoured by the aws CLI itself: the shipped script runs unmodified.
            AWS_ENDPOINT_URL=endpoint,
            TZ="UTC",
        )
        yield S3(endpoint, env, log)
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        server.stdout.close()


def upload_dists(s3: S3, tmp_path: Path, bucket: str) -> None:
    """Real wheels and sdists in s3://BUCKET/pool/ and s3://BUCKET/pool/nested/, uploaded by the aws CLI."""
    dists = tmp_path / "dists"
    make_wheel(dists, "alpha", "1.0")
    make_sdist(dists, "alpha", "1.0")
    make_wheel(dists, "beta", "2.0")
    # A local version: its '+' must reach S3 as %2B, which S3 does not read as a space.
    make_wheel(dists / "nested", "gamma", "1.0+build1")
    s3.aws("s3", "cp", "--recursive", "--only-show-errors", str(dists), f"s3://{bucket}/pool/")


def upload_time(last_modified: str) -> str:
    """The server's LastModified as PEP 700's upload-time, to the second."""
    moment = datetime.datetime.fromisoformat(last_modified.replace("Z", "+00:00"))
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def simple_files(output: Path) -> dict[str, dict[str, Any]]:
    """Every file on every PEP 691 project page in OUTPUT, by filename."""
    files = {}
    for page in output.glob("simple/*/index.v1_json"):
        for entry in json.loads(page.read_text())["files"]:
            files[entry["filename"]] = entry
    return files


@pytest.mark.parametrize("recursive", [False, True], ids=["plain", "recursive"])
def test_aws_s3_ls_piped_in_lists_every_file_with_the_size_and_time_the_server_reported(
    s3: S3, tmp_path: Path, recursive: bool
) -> None:
    bucket = f"listing-{'recursive' if recursive else 'plain'}"
    s3.aws("s3", "mb", f"s3://{bucket}")
    upload_dists(s3, tmp_path, bucket)
    # A plain listing names keys below the prefix (and nested/ as a PRE line);
    # a recursive one names whole keys, so they are linked below the bucket.
    source, base, prefix = (
        (f"--recursive s3://{bucket}/", f"{s3.endpoint}/{bucket}/", "")
        if recursive else (f"s3://{bucket}/pool/", f"{s3.endpoint}/{bucket}/pool/", "pool/")
    )
    pipeline = (
        f"set -o pipefail; aws s3 ls {source} | dumb-pypi --package-list - --packages-url {base}"
        f" --output-dir {tmp_path / 'out'} --strict --quiet"
    )
    result = s3.run("bash", "-c", pipeline)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""

    expected = {
        key[len(prefix):]: item for key, item in s3.objects(bucket).items()
        if recursive or "/" not in key[len(prefix):]
    }
    assert len(expected) == (4 if recursive else 3)
    files = simple_files(tmp_path / "out")
    assert sorted(files) == sorted(path.rsplit("/", 1)[-1] for path in expected)
    for path, item in expected.items():
        entry = files[path.rsplit("/", 1)[-1]]
        assert entry["url"] == base + urllib.parse.quote(path)
        assert entry["size"] == item["Size"]
        assert entry["upload-time"] == upload_time(item["LastModified"])


def test_the_script_refuses_an_index_inside_the_packages_folder(s3: S3, tmp_path: Path) -> None:
    env = dict(s3.env, PACKAGES_S3="s3://b/pool", INDEX_S3="s3://b/pool/index/", STATE_DIR=str(tmp_path / "state"))
    result = subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "INDEX_S3 (s3://b/pool/index/) must not be inside PACKAGES_S3 (s3://b/pool/)" in result.stderr
    assert not (tmp_path / "state").exists()


# Pages that list projects or uploads: any new project changes them.
LISTING_PAGES = {"index.html", "simple/index.html", "simple/index.v1_json", "packages.json"}


def project_of(path: str) -> str | None:
    """The project a page belongs to (simple/NAME/..., pypi/NAME/..., project/NAME/...), else None."""
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] in ("simple", "pypi", "project") else None


class Snapshot(NamedTuple):
    files: dict[str, tuple[bytes, int]]  # path -> (bytes, mtime_ns), dumb-pypi's dot-files left out
    bucket: dict[str, dict[str, Any]]  # the index's objects, the packages and the user's file left out


class Pipeline:
    """contrib/dumb-pypi-s3.sh publishing s3://pypi/pool/ as an index at s3://pypi/, as cron would run it."""

    def __init__(self, s3: S3, tmp_path: Path) -> None:
        self.s3 = s3
        self.tmp_path = tmp_path
        self.state = tmp_path / "state"
        self.output = self.state / "index"
        self.env = dict(
            s3.env,
            PACKAGES_S3="s3://pypi/pool/",
            PACKAGES_URL=f"{s3.endpoint}/pypi/",
            INDEX_S3="s3://pypi/",
            STATE_DIR=str(self.state),
        )

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT)], env=dict(self.env, **env), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, timeout=120, check=False,
        )

    def snapshot(self) -> Snapshot:
        files = {
            path.relative_to(self.output).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in self.output.rglob("*")
            if path.is_file() and not path.name.startswith(".dumb-pypi")
        }
        bucket = {
            key: item for key, item in self.s3.objects("pypi").items()
            if not key.startswith("pool/") and key != "robots.txt"
        }
        return Snapshot(files, bucket)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


def test_the_shipped_script_publishes_an_index_that_pip_installs_from(s3: S3, tmp_path: Path) -> None:
    s3.make_public_bucket("pypi")
    upload_dists(s3, tmp_path, "pypi")
    # Not dumb-pypi's: publishing must leave it alone.
    (tmp_path / "robots.txt").write_text("User-agent: *\n")
    s3.aws("s3", "cp", "--only-show-errors", str(tmp_path / "robots.txt"), "s3://pypi/robots.txt")
    pipeline = Pipeline(s3, tmp_path)

    first = pipeline.run()
    assert first.returncode == 0, _output(first)
    published = pipeline.snapshot()

    # Every page is published, byte for byte, with its Content-Type; no dot-file is.
    assert set(published.bucket) == set(published.files)
    assert {"simple/gamma/index.v1_json", "pypi/alpha/1.0/json", "simple/index.html"} <= set(published.files)
    for key, (data, _) in published.files.items():
        content_type, body = s3.get("pypi", key)
        assert body == data, key
        if key.endswith("index.v1_json"):
            assert content_type == SIMPLE_JSON, key
        elif key.endswith(".html"):
            assert content_type.split(";")[0] == "text/html", key
        elif key.endswith((".js", ".css", ".xml")):
            assert content_type.split(";")[0] in PEOPLE_TYPES[key.rsplit(".", 1)[1]], key
        else:
            assert content_type == "application/json", key
    assert set(s3.objects("pypi")) == set(published.bucket) | {
        "robots.txt", "pool/alpha-1.0-py3-none-any.whl", "pool/alpha-1.0.tar.gz",
        "pool/beta-2.0-py3-none-any.whl", "pool/nested/gamma-1.0+build1-py3-none-any.whl",
    }

    # A copy of the published index, served as S3 website hosting would, with
    # the packages fetched from the S3 server itself by their URLs.
    copy = tmp_path / "copy"
    s3.aws("s3", "sync", "--only-show-errors", "s3://pypi/", str(copy), "--exclude", "pool/*")
    with serve(copy) as server:
        installed = pip(
            "install", "--index-url", f"{server.url}simple/", "--target", str(tmp_path / "t"),
            "--no-binary", "alpha", "alpha", "gamma",
        )
    assert installed.returncode == 0, _output(installed)
    assert {path for path, _ in server.requests} == {"/simple/alpha/", "/simple/gamma/"}
    hrefs = {
        **anchors((copy / "simple" / "alpha" / "index.html").read_text()),
        **anchors((copy / "simple" / "gamma" / "index.html").read_text()),
    }
    for filename, key in [
        ("alpha-1.0.tar.gz", "pool/alpha-1.0.tar.gz"),
        ("gamma-1.0+build1-py3-none-any.whl", "pool/nested/gamma-1.0%2Bbuild1-py3-none-any.whl"),
    ]:
        assert hrefs[filename]["href"] == f"{s3.endpoint}/pypi/{key}"
        assert s3.served(f"/pypi/{key}"), key
    for module, version in [("alpha", "1.0"), ("gamma", "1.0+build1")]:
        assert (tmp_path / "t" / module / "__init__.py").read_text() == f"__version__ = {version!r}\n"

    # One more package: the next run writes and uploads its pages and the
    # listing pages, and leaves every other project's pages as they were.
    # A temporary file of a run that died is not published.
    (pipeline.output / "simple" / "alpha" / ".dumb-pypi-tmp-died").write_text("half a page")
    delta = make_wheel(tmp_path / "more", "delta", "3.0")
    s3.aws("s3", "cp", "--only-show-errors", str(delta), f"s3://pypi/pool/{delta.name}")
    second = pipeline.run()
    assert second.returncode == 0, _output(second)
    after = pipeline.snapshot()

    added = set(after.files) - set(published.files)
    assert added == {
        "simple/delta/index.html", "simple/delta/index.v1_json", "pypi/delta/json", "pypi/delta/3.0/json",
        "project/delta/index.html",
    }
    assert set(published.files) <= set(after.files)
    changed = {path for path in published.files if after.files[path][0] != published.files[path][0]}
    assert {"simple/index.html", "simple/index.v1_json", "packages.json"} <= changed
    for path, before in published.files.items():
        if project_of(path) is not None:
            assert after.files[path] == before, f"{path} was rewritten"
    assert changed <= {path for path in published.files if project_of(path) is None}
    assert set(after.bucket) == set(after.files)
    # The build cache, like the manifest, stays with the output folder.
    assert (pipeline.output / ".dumb-pypi-cache").is_file() and ".dumb-pypi-cache" not in after.bucket
    for path in added | changed:
        assert s3.get("pypi", path)[1] == after.files[path][0], path
    for path in published.files.keys() - changed:
        assert after.bucket[path]["ETag"] == published.bucket[path]["ETag"], path

    # Nothing changed: the run ends after the listing; nothing is rebuilt or uploaded.
    third = pipeline.run()
    assert third.returncode == 0, _output(third)
    assert third.stderr == ""
    assert pipeline.snapshot() == after

    # A listing that fails (here: an empty folder, which `aws s3 ls` reports
    # as an error) stops the run before anything is built or published.
    failed = pipeline.run(PACKAGES_S3="s3://pypi/empty/")
    assert failed.returncode != 0, _output(failed)
    assert pipeline.snapshot() == after

    # A package removed from the bucket: its project's pages go from the
    # output and from the bucket; the user's file and the packages stay.
    s3.aws("s3", "rm", "--only-show-errors", "s3://pypi/pool/beta-2.0-py3-none-any.whl")
    fourth = pipeline.run()
    assert fourth.returncode == 0, _output(fourth)
    final = pipeline.snapshot()
    assert {path for path in after.files if project_of(path) == "beta"} == {
        "simple/beta/index.html", "simple/beta/index.v1_json", "pypi/beta/json", "pypi/beta/2.0/json",
        "project/beta/index.html",
    }
    assert set(final.files) == {path for path in after.files if project_of(path) != "beta"}
    assert set(final.bucket) == set(final.files)
    assert {"robots.txt", "pool/alpha-1.0.tar.gz", f"pool/{delta.name}"} <= set(s3.objects("pypi"))


def test_the_readme_shows_the_script_the_tests_run() -> None:
    assert SCRIPT.read_text() in (ROOT / "README.md").read_text()
    assert os.access(SCRIPT, os.X_OK)
