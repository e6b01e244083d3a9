"""Security fuzz: thousands of hostile schema projects through pgevolve, and the figures.

    python bench/fuzz.py [--inputs 10000] [--database-inputs 200] [--seed 0]

Offline, every input runs `validate` and, when valid, `generate` (all DDL through
sqltext/ddl) in this process; a hang is an input that takes longer than --timeout. Then
the valid inputs, up to --database-inputs of them, run `plan` and `apply --yes
--allow-destructive` against a copy of a database that holds the base project with
rows, dblink and a canary table outside the owned schema. It prints: inputs tried,
exits by code, tracebacks (an exception that escaped the CLI), hangs, peak memory, and
canary losses (the canary dropped or changed, or a file written on the server).

The server: $PGEVOLVE_TEST_DSN, else a throwaway local PostgreSQL (as the test suite).
"""

from __future__ import annotations

import argparse
import collections
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import fuzzing

MEMORY_LIMIT_MB = 200


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Hang


def offline(count: int, seed: int, timeout: float, work: Path) -> tuple[list[int], dict[str, int]]:
    """Run ``count`` inputs offline; returns the seeds of the valid ones and the figures."""
    figures: dict[str, int] = collections.Counter()
    valid, started = [], time.monotonic()
    signal.signal(signal.SIGALRM, _alarm)
    for n in range(count):
        case = seed + n
        with tempfile.TemporaryDirectory(dir=work) as directory:
            schema = fuzzing.make_project(Path(directory), case)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                code, output, escaped = fuzzing.run_offline(schema, Path(directory) / "generated")
            except _Hang:
                figures["hangs"] += 1
                print(f"  hang: seed {case}", flush=True)
                continue
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        figures[f"exit {code}"] += 1
        if escaped is not None or "Traceback" in output:
            figures["tracebacks"] += 1
            print(f"  traceback: seed {case}: {escaped!r}"[:400], flush=True)
        if "\x1b" in output:
            figures["raw escape sequences in output"] += 1
        if fuzzing.LEAK_MARK in output:
            figures["files of this machine shown"] += 1
            print(f"  a file of this machine shown: seed {case}", flush=True)
        if code == 0:
            valid.append(case)
        if (n + 1) % 1000 == 0:
            print(f"  {n + 1} inputs, {time.monotonic() - started:.0f} s, peak {_peak_mb():.0f} MB", flush=True)
    return valid, figures


def online(seeds: list[int], server_dsn: str, work: Path) -> dict[str, int]:
    figures: dict[str, int] = collections.Counter()
    template = f"pgevolve_fuzz_template_{os.getpid()}"
    tmpl_dsn = fuzzing.prepare_template(server_dsn, template, work / "base")
    from pgevolve.server.connect import with_dbname

    try:
        for i, case in enumerate(seeds):
            name = f"pgevolve_fuzz_{os.getpid()}_{i}"
            dsn = fuzzing.copy_database(with_dbname(server_dsn, "postgres"), template, name)
            try:
                with tempfile.TemporaryDirectory(dir=work) as directory:
                    schema = fuzzing.make_project(Path(directory), case, dsn_words=fuzzing.dsn_words(dsn))
                    codes, output, escaped = fuzzing.run_online(schema, dsn)
                figures["plan/apply runs"] += 1
                for step, code in zip(("plan", "apply"), codes, strict=False):
                    figures[f"{step} exit {code}"] += 1
                if escaped is not None or "Traceback" in output:
                    figures["tracebacks"] += 1
                    print(f"  traceback: seed {case}: {escaped!r}"[:400], flush=True)
                lost = fuzzing.canary_lost(dsn)
                if lost:
                    figures["canary losses"] += 1
                    print(f"  canary lost: seed {case}: {lost}", flush=True)
            finally:
                fuzzing.drop_database(server_dsn, name)
            if (i + 1) % 25 == 0:
                print(f"  {i + 1} plan/apply runs", flush=True)
    finally:
        fuzzing.drop_database(server_dsn, template)
        del tmpl_dsn
    return figures


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--database-inputs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds before an offline input is a hang")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pgevolve-fuzz-"))
    os.environ.setdefault("PGEVOLVE_CACHE_DIR", str(work / "cache"))
    started = time.monotonic()
    valid, figures = offline(args.inputs, args.seed, args.timeout, work)
    offline_seconds = time.monotonic() - started
    server, dsn = _server()
    try:
        started = time.monotonic()
        figures.update(online(valid[: args.database_inputs], dsn, work) if args.database_inputs else {})
        online_seconds = time.monotonic() - started
    finally:
        if server is not None:
            server.stop(remove=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\ninputs tried: {args.inputs:,} offline ({offline_seconds:.0f} s), of which {len(valid):,} valid; "
          f"{figures.get('plan/apply runs', 0):,} through plan and apply ({online_seconds:.0f} s)")
    for key in sorted(k for k in figures if "exit" in k):
        print(f"  {key}: {figures[key]:,}")
    print(f"tracebacks: {figures.get('tracebacks', 0)}")
    print(f"hangs (> {args.timeout:g} s): {figures.get('hangs', 0)}")
    print(f"raw escape sequences in output: {figures.get('raw escape sequences in output', 0)}")
    print(f"files of this machine shown: {figures.get('files of this machine shown', 0)}")
    print(f"peak memory of the whole run: {_peak_mb():.0f} MB (limit per input {MEMORY_LIMIT_MB} MB)")
    print(f"canary losses: {figures.get('canary losses', 0)}")
    bad = sum(figures.get(k, 0) for k in ("tracebacks", "hangs", "canary losses", "files of this machine shown",
                                          "raw escape sequences in output"))
    sys.exit(1 if bad or _peak_mb() > MEMORY_LIMIT_MB else 0)


def _server() -> tuple[object | None, str]:
    given = os.environ.get("PGEVOLVE_TEST_DSN")
    if given:
        return None, given
    from pgevolve.server import embedded

    server = embedded.start_throwaway()
    return server, server.dsn("postgres")


if __name__ == "__main__":
    main()
