#!/usr/bin/env python3
"""The pull-request check behind action.yml: validate, generate --check, plan, one sticky comment, policy.

Run from the root of a git checkout of the pull request (with the base branch fetched). Configured by
environment variables, which action.yml sets from its inputs:

  PGEVOLVE_SCHEMA_DIR      the YAML (default: schema)
  PGEVOLVE_GENERATED_DIR   generated/ (default: generated)
  PGEVOLVE_BASE_REF        the git ref to compare with (default: origin/$GITHUB_BASE_REF, else origin/main)
  PGEVOLVE_DATABASE_URL    plan against this database (a staging replica, from a secret). Without it, a fresh
                           database is built from the YAML at the base ref and the plan runs against it:
  PGEVOLVE_SERVER_URL      ... on this server (a service container), else on pgevolve's local PostgreSQL
  PGEVOLVE_FAIL_ON         hazards that fail the check (default: blocked), as `plan --fail-on`
  PGEVOLVE_COMMENT         "true" (default): post or update the sticky comment; "false": do not
  PGEVOLVE_COMMENT_FILE    where the comment's Markdown is written (default: $RUNNER_TEMP/pgevolve-comment.md)
  PGEVOLVE_GITHUB_API      a command that stands in for the GitHub API (tests, dry runs): it is called as
                           `CMD METHOD PATH [BODY_FILE]` and prints the JSON answer
  GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH, GITHUB_API_URL, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT
                           as GitHub Actions sets them; PGEVOLVE_PR_NUMBER overrides the event's number

Exit 0 when the check passes (a plan with changes passes: reviewing it is the point), 1 when the YAML is
invalid, generated/ is stale, the plan fails, or the plan carries a hazard of PGEVOLVE_FAIL_ON.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

MARKER = "<!-- pgevolve-plan -->"


@dataclass
class Report:
    """What the check found, in the order it ran; each section a few Markdown lines."""

    sections: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    plan_code: int | None = None

    def add(self, text: str) -> None:
        self.sections.append(text.rstrip("\n") + "\n")

    def fail(self, why: str) -> None:
        self.failed.append(why)


def pgevolve(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the pgevolve CLI of this Python; stdout and stderr kept apart."""
    return subprocess.run([sys.executable, "-m", "pgevolve", *args], capture_output=True, text=True, check=False)


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def main() -> int:
    schema_dir = env("PGEVOLVE_SCHEMA_DIR", "schema")
    generated = env("PGEVOLVE_GENERATED_DIR", "generated")
    base_ref = env("PGEVOLVE_BASE_REF") or (f"origin/{env('GITHUB_BASE_REF')}" if env("GITHUB_BASE_REF")
                                            else "origin/main")
    report = Report()
    if check_validate(schema_dir, report):
        check_generated(schema_dir, generated, report)
        plan(schema_dir, base_ref, report)
    body = compose(report)
    default_file = Path(env("RUNNER_TEMP", ".")) / "pgevolve-comment.md"
    Path(env("PGEVOLVE_COMMENT_FILE", str(default_file))).write_text(body, encoding="utf-8")
    summary = env("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write(body)
    write_outputs(report)
    if env("PGEVOLVE_COMMENT", "true").lower() == "true":
        post_sticky_comment(body)
    for why in report.failed:
        print(f"pgevolve: {why}", file=sys.stderr)
    return 1 if report.failed else 0


def check_validate(schema_dir: str, report: Report) -> bool:
    result = pgevolve("validate", "--schema-dir", schema_dir)
    if result.returncode == 0:
        return True
    report.fail("the YAML is invalid")
    report.add(f"**The YAML is invalid** (`pgevolve validate`):\n\n```\n{result.stderr.strip()}\n```")
    return False


def check_generated(schema_dir: str, generated: str, report: Report) -> None:
    result = pgevolve("generate", "--check", "--schema-dir", schema_dir, "--out", generated)
    if result.returncode != 0:
        report.fail(f"{generated}/ is stale")
        report.add(f"**`{generated}/` is stale**: run `pgevolve generate` and commit it.\n\n"
                   f"```\n{result.stderr.strip()}\n```")


def plan(schema_dir: str, base_ref: str, report: Report) -> None:
    fail_on = env("PGEVOLVE_FAIL_ON", "blocked")
    with target_database(schema_dir, base_ref, report) as url:
        if url is None:
            return
        with tempfile.TemporaryDirectory() as temp:
            out = Path(temp) / "plan.md"
            args = ["plan", "--schema-dir", schema_dir, "--database-url", url, "--format", "markdown",
                    "--base", base_ref, "--out", str(out)]
            result = pgevolve(*args, *(["--fail-on", fail_on] if fail_on else []))
            report.plan_code = result.returncode
            if result.returncode in (0, 2, 3) and out.exists():
                report.add(out.read_text(encoding="utf-8"))
            if result.returncode == 3:
                report.fail(f"the plan has a step the policy refuses (--fail-on {fail_on})")
                report.add(f"**Refused by policy** (`--fail-on {fail_on}`): {last_line(result.stderr)}")
            elif result.returncode not in (0, 2):
                report.fail("pgevolve plan failed")
                report.add(f"**`pgevolve plan` failed**:\n\n```\n{result.stderr.strip()}\n```")


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


@contextmanager
def target_database(schema_dir: str, base_ref: str, report: Report) -> Iterator[str | None]:
    """The database to plan against: the given URL, or a fresh one built from the base's YAML (dropped after)."""
    given = env("PGEVOLVE_DATABASE_URL")
    if given:
        yield given
        return
    server = env("PGEVOLVE_SERVER_URL") or local_server_url()
    name = f"pgevolve_pr_{uuid.uuid4().hex[:10]}"
    admin(server, f'CREATE DATABASE "{name}"')
    url = with_dbname(server, name)
    try:
        with schema_at(base_ref, schema_dir) as base_schema:
            if base_schema is not None:
                result = pgevolve("apply", "--schema-dir", str(base_schema), "--database-url", url, "--yes")
                if result.returncode != 0:
                    report.fail(f"the YAML at {base_ref} does not apply to a fresh database")
                    report.add(f"**The base (`{base_ref}`) does not build**:\n\n```\n{result.stderr.strip()}\n```")
                    yield None
                    return
        yield url
    finally:
        admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def local_server_url() -> str:
    """pgevolve's own local PostgreSQL (started and kept by pgevolve: the machine's binaries or the wheel)."""
    from pgevolve.server.connect import resolve_target

    os.environ.pop("DATABASE_URL", None)
    return resolve_target(None).dsn


def admin(server: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


def with_dbname(dsn: str, dbname: str) -> str:
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(dsn)
    params["dbname"] = dbname
    return make_conninfo(**{k: v for k, v in params.items() if v is not None})


def git(*args: str) -> bytes:
    result = subprocess.run(["git", *args], capture_output=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"pgevolve: git {' '.join(args)}: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


@contextmanager
def schema_at(ref: str, schema_dir: str) -> Iterator[Path | None]:
    """The schema directory as of ``ref`` in a temporary directory; None when it does not exist there."""
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
    prefix = git("rev-parse", "--show-prefix").decode().strip()
    path = str(PurePosixPath(prefix or ".") / schema_dir)
    with tempfile.TemporaryDirectory(prefix="pgevolve-base-") as temp:
        if not git("ls-tree", "-d", "--name-only", commit, "--", path).strip():
            yield None
            return
        with tarfile.open(fileobj=io.BytesIO(git("archive", "--format=tar", commit, "--", path))) as tar:
            for member in tar.getmembers():
                parts = PurePosixPath(member.name).parts
                if member.isfile() and ".." not in parts and not member.name.startswith("/"):
                    source = tar.extractfile(member)
                    if source is not None:
                        target = Path(temp).joinpath(*parts)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(source.read())
        yield Path(temp) / path


def compose(report: Report) -> str:
    status = "❌ " + "; ".join(report.failed) if report.failed else "✅ checks passed"
    return f"{MARKER}\n" + "\n".join([*report.sections, f"_pgevolve: {status}._\n"])


def write_outputs(report: Report) -> None:
    path = env("GITHUB_OUTPUT")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"plan-exit-code={'' if report.plan_code is None else report.plan_code}\n")
        handle.write(f"has-changes={'true' if report.plan_code in (2, 3) else 'false'}\n")


# -- the sticky comment ------------------------------------------------------------------------

def post_sticky_comment(body: str) -> None:
    """Update the pull request's comment that carries MARKER, or post one."""
    repo, number = env("GITHUB_REPOSITORY"), pr_number()
    if not repo or number is None:
        print("pgevolve: not a pull request (no GITHUB_REPOSITORY or pull request number): comment not posted",
              file=sys.stderr)
        return
    existing = None
    page = 1
    while existing is None:
        comments = github("GET", f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}")
        if not comments:
            break
        existing = next((c for c in comments if MARKER in (c.get("body") or "")), None)
        page += 1
    payload = {"body": body}
    if existing is not None:
        github("PATCH", f"/repos/{repo}/issues/comments/{existing['id']}", payload)
    else:
        github("POST", f"/repos/{repo}/issues/{number}/comments", payload)


def pr_number() -> int | None:
    if env("PGEVOLVE_PR_NUMBER"):
        return int(env("PGEVOLVE_PR_NUMBER"))
    event = env("GITHUB_EVENT_PATH")
    if not event or not Path(event).is_file():
        return None
    data = json.loads(Path(event).read_text(encoding="utf-8"))
    number = (data.get("pull_request") or {}).get("number") or data.get("number")
    return int(number) if number else None


def github(method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
    """One GitHub REST call; PGEVOLVE_GITHUB_API, when set, is called instead (with the body in a file)."""
    stand_in = env("PGEVOLVE_GITHUB_API")
    if stand_in:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as body:
            json.dump(payload or {}, body)
        try:
            argv = [*stand_in.split(), method, path, *([body.name] if payload is not None else [])]
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
        finally:
            os.unlink(body.name)
        return json.loads(out) if out.strip() else None
    request = urllib.request.Request(
        env("GITHUB_API_URL", "https://api.github.com") + path, method=method,
        data=json.dumps(payload).encode() if payload is not None else None,
        headers={"Authorization": f"Bearer {env('GITHUB_TOKEN')}", "Accept": "application/vnd.github+json",
                 "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 (the GitHub API URL)
        text = answer.read().decode()
    return json.loads(text) if text.strip() else None


if __name__ == "__main__":
    sys.exit(main())
