"""Times whole dumb-pypi processes on one list: full build, nothing changed, one project changed.

    python bench/run.py --files 100000 --where shm disk --repeat 3

Each run is its own process; wall time is measured around it, and peak
memory is the larger of the largest peak RSS of any of its processes
(VmHWM) and the sum of the proportional set sizes (PSS) of it and its
worker processes, both sampled every 100 ms: a page that forked workers
share with their parent counts once in all, a page a worker had to copy
counts in full; and, where GNU time is installed, the command's exact peak
RSS as time reports it. (Not this process's wait4: Linux counts in a
child's ru_maxrss the memory of the process that started it, this
benchmark, before the exec.) Sampling costs CPU, which a build that keeps
both cores busy loses and one that uses a single core does not: so the
times are those of `--repeat` runs without the sampler, and each scenario
then runs once more with it, for its memory alone.

With dumb-pypi 1.15.0 installed in its own virtualenv:

    python3 -m venv /tmp/dp115 && /tmp/dp115/bin/pip install dumb-pypi==1.15.0

(or --dp115 PATH to its `dumb-pypi` script), every scenario runs it too, on
the same list and the same output settings, alternating which goes first,
and prints the ratios. 1.15 refuses JSON keys it does not know, so it reads
the list without `size` (the only key it lacks); this dumb-pypi reads the
sizes too and so writes more (PEP 700 sizes). `--same-list` gives both the
list without sizes.

The scenarios are a cron job's: a full build into an empty folder; a rerun
with the same list and `--previous-package-list-json OUTPUT/packages.json`;
a rerun after one new upload to a mid-sized project, the same way.
"""
from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_list  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HUGE = REPO.parent / "shared" / "data" / "package-list-huge.txt"
PLACES = {"shm": Path("/dev/shm/dumb-pypi-bench"), "disk": Path("/var/tmp/dumb-pypi-bench")}
SCENARIOS = ("full", "unchanged", "one")
TITLES = {
    "full": "full build",
    "unchanged": "nothing changed",
    "one": "one project changed",
}


class Measure(NamedTuple):
    wall: float | None  # None for the run whose memory was sampled
    peak_kib: int
    files: int


def _memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, peak RSS since its exec) of a process: pages it shares with others count by their share in PSS."""
    pss = hwm = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                    break
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
                    break
    except (OSError, ValueError):
        pass
    return pss, hwm


def _children(root: int) -> list[int]:
    """`root` and every process below it."""
    tree, frontier = [root], [root]
    while frontier:
        found = []
        for pid in frontier:
            try:
                for task in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{task}/children") as f:
                        found.extend(int(child) for child in f.read().split())
            except OSError:
                continue
        tree.extend(found)
        frontier = found
    return tree


# Exact peak RSS of the command itself, where installed (Debian: apt-get install time).
GNU_TIME = "/usr/bin/time"


def run(command: Sequence[str], log: Path, env: dict[str, str] | None, sample: bool = True) -> tuple[float, int]:
    """(wall seconds, peak KiB) of one process and its children; raises on failure.

    `sample` False: GNU time's peak RSS alone, with no sampler taking CPU
    from the run (a build that keeps both cores busy would lose it).
    """
    os.sync()  # dirty pages of the last run must not be flushed during this one
    # Nor the freeing of the files the last run's output left (it was just removed).
    time.sleep(1)
    peak = 0
    done = threading.Event()
    peak_file = log.with_suffix(".maxrss")
    if os.access(GNU_TIME, os.X_OK):
        # GNU time's own memory is what its child starts from: a megabyte or two.
        command = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *command]
    with open(log, "wb") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=err, stderr=err, env=env)

        def sampling() -> None:
            nonlocal peak
            # Each sample costs a few milliseconds of CPU, taken from the build
            # measured; memory grows in phases that last far longer than this.
            while not done.wait(0.1 if peak else 0.01):
                sizes = [_memory_kib(pid) for pid in _children(process.pid)]
                peak = max(peak, sum(pss for pss, _ in sizes), *(hwm for _, hwm in sizes))

        sampler = threading.Thread(target=sampling if sample else done.wait, daemon=True)
        sampler.start()
        _, status, _ = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}:\n{log.read_text()[-3000:]}")
    if peak_file.exists():
        peak = max(peak, int(peak_file.read_text().split()[-1]))
        peak_file.unlink()
    return wall, peak


def count_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


class Tool(NamedTuple):
    name: str
    command: list[str]
    env: dict[str, str] | None
    lists: dict[str, Path]  # scenario list name -> path


def scenario_commands(tool: Tool, out: Path, scenario: str, extra: Sequence[str]) -> list[str]:
    listed = tool.lists["changed" if scenario == "one" else "base"]
    command = [*tool.command, "--package-list-json" if listed.suffix == ".jsonl" else "--package-list",
               str(listed), "--packages-url", "../../pool/", "--output-dir", str(out), *extra]
    if scenario != "full":
        command += ["--previous-package-list-json", str(out / "packages.json")]
    return command


def prepare_lists(work: Path, files: int | None, same_list: bool) -> tuple[dict[str, Path], dict[str, Path], str]:
    """Write the base and changed lists for this dumb-pypi and for 1.15; returns their paths and a description."""
    work.mkdir(parents=True, exist_ok=True)
    if files is None:
        with open(HUGE, encoding="utf-8") as f:
            filenames = [line for line in f]
        base = [{"filename": line.strip()} for line in filenames if line.strip()]
        changed, added = make_list.one_upload_more(base)
        ours = {"base": work / "list.txt", "changed": work / "changed.txt"}
        make_list.write_plain(base, ours["base"])
        make_list.write_plain(changed, ours["changed"])
        described = f"{HUGE.name}: {len(base)} real filenames, plain list"
        return ours, dict(ours), f"{described}; one project changed: {added} added"
    records = make_list.generate(files)
    described = make_list.describe(records)
    changed, added = make_list.one_upload_more(records)
    old = {"base": work / "list-115.jsonl", "changed": work / "changed-115.jsonl"}
    make_list.write_json_lines(map(make_list.for_115, records), old["base"])
    make_list.write_json_lines(map(make_list.for_115, changed), old["changed"])
    if same_list:
        ours = dict(old)
    else:
        ours = {"base": work / "list.jsonl", "changed": work / "changed.jsonl"}
        make_list.write_json_lines(records, ours["base"])
        make_list.write_json_lines(changed, ours["changed"])
    del records, changed
    gc.collect()
    return ours, old, f"{described}; one project changed: {added} added"


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_kib / 1024 / 1024:.1f} GiB RAM, Linux {platform.release()},"
        f" Python {platform.python_version()}; {datetime.date.today().isoformat()}"
    )


def report(title: str, results: dict[str, dict[str, list[Measure]]], names: list[str]) -> str:
    ours, old = names[0], names[-1] if len(names) > 1 else None
    lines = [f"#### {title}", ""]
    header = f"| scenario | {ours} s | {ours} peak MiB | files in output |"
    rule = "|---|---:|---:|---:|"
    if old:
        header += f" {old} s | {old} peak MiB | files in output | speed-up | memory ratio |"
        rule += "---:|---:|---:|---:|---:|"
    lines += [header, rule]
    full = None
    for scenario in SCENARIOS:
        if scenario not in results[ours]:
            continue
        a = results[ours][scenario]
        wall = statistics.median(m.wall for m in a if m.wall is not None)
        peak = max(m.peak_kib for m in a) / 1024
        full = wall if scenario == "full" else full
        share = f" ({100 * wall / full:.1f}% of full)" if full and scenario != "full" else ""
        row = f"| {TITLES[scenario]} | {wall:.2f}{share} | {peak:.0f} | {a[-1].files} |"
        if old:
            b = results[old][scenario]
            old_wall = statistics.median(m.wall for m in b if m.wall is not None)
            old_peak = max(m.peak_kib for m in b) / 1024
            row += (f" {old_wall:.2f} | {old_peak:.0f} | {b[-1].files} |"
                    f" {old_wall / wall:.1f}x | {peak / old_peak:.2f} |")
        lines.append(row)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, nargs="+", default=[100_000],
                        help="sizes of generated lists (default 100000)")
    parser.add_argument("--huge", action="store_true",
                        help=f"use the real filenames of {HUGE} (plain list) instead of generated lists")
    parser.add_argument("--where", nargs="+", choices=sorted(PLACES), default=["shm"],
                        help="shm: a RAM disk (/dev/shm); disk: /var/tmp on the machine's disk")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scenario per tool (median time)")
    parser.add_argument("--dp115", default="/tmp/dp115/bin/dumb-pypi",
                        help="dumb-pypi 1.15.0's script; skipped when missing")
    parser.add_argument("--no-115", action="store_true", help="time only this dumb-pypi")
    parser.add_argument("--same-list", action="store_true", help="give this dumb-pypi 1.15's list (no sizes) too")
    parser.add_argument("--python", default=sys.executable, help="the Python that runs this dumb-pypi")
    parser.add_argument("--keep", action="store_true", help="keep the lists and outputs")
    parser.add_argument("extra", nargs="*", help="flags for both tools after --, e.g. -- --no-per-release-json")
    args = parser.parse_args(argv)

    ours_cmd = [args.python, "-m", "dumb_pypi"]
    # This checkout's code, whatever the virtualenv has installed.
    ours_env = {**os.environ, "PYTHONPATH": str(REPO)}
    # Compiled to bytecode first, as pip compiles an installed package (1.15
    # is one): where PYTHONDONTWRITEBYTECODE is set, a checkout is otherwise
    # compiled again by every run.
    subprocess.run([args.python, "-m", "compileall", "-q", str(REPO / "dumb_pypi")], check=True)
    have_115 = not args.no_115 and os.access(args.dp115, os.X_OK)
    if not args.no_115 and not have_115:
        print(f"dumb-pypi 1.15.0 not found at {args.dp115}: timing only this dumb-pypi"
              " (python3 -m venv /tmp/dp115 && /tmp/dp115/bin/pip install dumb-pypi==1.15.0)", file=sys.stderr)
    print(f"Machine: {machine()}")
    print(f"Flags for both: --packages-url ../../pool/ {' '.join(args.extra)}".rstrip())
    sizes: list[int | None] = [None] if args.huge else list(args.files)
    for where in args.where:
        for size in sizes:
            work = PLACES[where] / (str(size) if size else "huge")
            shutil.rmtree(work, ignore_errors=True)
            ours_lists, old_lists, described = prepare_lists(work, size, args.same_list)
            tools = [Tool("this dumb-pypi", ours_cmd, ours_env, ours_lists)]
            if have_115:
                tools.append(Tool("dumb-pypi 1.15.0", [args.dp115], None, old_lists))
            results: dict[str, dict[str, list[Measure]]] = {t.name: {} for t in tools}
            skipped = 0
            # The timed runs, then one more of each with memory sampled: the
            # sampler reads /proc every 100 ms, CPU that a build using both
            # cores would lose and a build using one would not.
            for repeat in range(args.repeat + 1):
                sampled = repeat == args.repeat
                order = tools if repeat % 2 == 0 else tools[::-1]
                for index, tool in enumerate(order):
                    out = work / f"out-{index if len(tools) == 1 else tools.index(tool)}"
                    shutil.rmtree(out, ignore_errors=True)
                    for scenario in SCENARIOS:
                        log = work / f"log-{tools.index(tool)}-{scenario}.txt"
                        wall, peak = run(scenario_commands(tool, out, scenario, args.extra), log, tool.env, sampled)
                        measure = Measure(None if sampled else wall, peak, count_files(out))
                        results[tool.name].setdefault(scenario, []).append(measure)
                        print(f"  {where} {size or 'huge'} {tool.name} {scenario}: {wall:.2f}s {peak / 1024:.0f} MiB"
                              f"{' (memory sampled; time not counted)' if sampled else ''}",
                              file=sys.stderr, flush=True)
                        if tool.name.endswith("1.15.0") and scenario == "full":
                            skipped = log.read_text().count("(skipping package)")
            where_text = "RAM disk (/dev/shm, tmpfs)" if where == "shm" else "disk (/var/tmp, ext4)"
            print()
            print(report(f"{size or 'huge'} files, {where_text}", results, [t.name for t in tools]))
            print()
            print(f"List: {described}.")
            if have_115:
                print(f"dumb-pypi 1.15.0 skipped {skipped} files of the list that this dumb-pypi lists"
                      " (versions that are not PEP 440, eggs whose version it misreads).")
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
