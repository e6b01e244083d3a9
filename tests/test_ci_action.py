"""The GitHub Action's script (ci/pr_check.py), end to end: a real git repository, a real PostgreSQL, the
real pgevolve CLI; only the GitHub API is a stand-in (PGEVOLVE_GITHUB_API), which records every call."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "ci" / "pr_check.py"

FAKE_GITHUB = """\
import json, os, sys
method, path = sys.argv[1], sys.argv[2]
body = json.load(open(sys.argv[3])) if len(sys.argv) > 3 else None
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({"method": method, "path": path, "body": body}) + "\\n")
if method == "GET":
    print(os.environ.get("FAKE_COMMENTS", "[]") if path.endswith("page=1") else "[]")
else:
    print("{}")
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A project repository: main has the CRM YAML and its generated/, the branch `pr` is checked out."""
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shutil.copytree(ROOT / "schema", repo / "schema")
    shutil.copytree(ROOT / "generated", repo / "generated")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    git(repo, "checkout", "-qb", "pr")
    return repo


def pgevolve(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pgevolve", *args], cwd=repo, capture_output=True, text=True,
                          check=False)


def run_check(repo: Path, tmp_path: Path, server: str | None, **extra: str) -> tuple[int, str, list[dict]]:
    """Run the action's script in the repository; its exit code, the comment, the GitHub calls."""
    fake = tmp_path / "fake_github.py"
    fake.write_text(FAKE_GITHUB)
    log = tmp_path / "github.log"
    log.unlink(missing_ok=True)
    comment = tmp_path / "comment.md"
    environ = {**os.environ, "PGEVOLVE_BASE_REF": "main", "PGEVOLVE_GITHUB_API": f"{sys.executable} {fake}",
               "FAKE_LOG": str(log), "GITHUB_REPOSITORY": "acme/crm", "PGEVOLVE_PR_NUMBER": "7",
               "PGEVOLVE_COMMENT_FILE": str(comment), "PYTHONPATH": str(ROOT / "src"), **extra}
    if server is not None:
        environ["PGEVOLVE_SERVER_URL"] = server
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=repo, env=environ, capture_output=True, text=True,
                            check=False)
    assert "Traceback" not in result.stderr, result.stderr
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return result.returncode, comment.read_text(), calls


def add_roof_type(repo: Path, *, index: bool) -> None:
    path = repo / "schema" / "shapes" / "home.yaml"
    extra = ", index: true" if index else ""
    path.write_text(path.read_text().replace(
        "  security_system:   { type: boolean }\n",
        f"  security_system:   {{ type: boolean }}\n  roof_type:         {{ type: string, enum: [gable, hip, flat]"
        f"{extra}, description: Shape of the roof. }}\n"))


def leftover_databases(server: str) -> list[str]:
    with psycopg.connect(server) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'pgevolve_pr_%'")]


@pytest.mark.long
def test_a_pm_pull_request_gets_one_sticky_comment(repo: Path, tmp_path: Path, pg_server_dsn: str) -> None:
    add_roof_type(repo, index=False)
    assert pgevolve(repo, "generate").returncode == 0
    code, comment, calls = run_check(repo, tmp_path, pg_server_dsn)
    assert code == 0, comment
    assert comment.startswith("<!-- pgevolve-plan -->\n### pgevolve plan")
    assert ("Shape `home` (used by `clients.home_data`, `leads.home_data`) gains `roof_type`: a string, one of "
            "gable, hip, flat — Shape of the roof.") in comment
    assert "**No DDL**" in comment and "✅ checks passed" in comment
    assert [(c["method"], c["path"]) for c in calls] == [
        ("GET", "/repos/acme/crm/issues/7/comments?per_page=100&page=1"),
        ("POST", "/repos/acme/crm/issues/7/comments")]
    assert calls[1]["body"] == {"body": comment}
    assert leftover_databases(pg_server_dsn) == []

    # The next push updates that comment instead of adding one.
    existing = json.dumps([{"id": 5, "body": "LGTM"}, {"id": 42, "body": "<!-- pgevolve-plan -->\nold"}])
    code, comment, calls = run_check(repo, tmp_path, pg_server_dsn, FAKE_COMMENTS=existing)
    assert code == 0
    assert [(c["method"], c["path"]) for c in calls][-1] == ("PATCH", "/repos/acme/crm/issues/comments/42")


@pytest.mark.long
def test_an_indexed_property_plans_ddl_and_the_risk(repo: Path, tmp_path: Path, pg_server_dsn: str) -> None:
    add_roof_type(repo, index=True)
    assert pgevolve(repo, "generate").returncode == 0
    code, comment, _ = run_check(repo, tmp_path, pg_server_dsn, PGEVOLVE_COMMENT="false")
    assert code == 0, comment
    assert "gable, hip, flat; indexed — Shape of the roof." in comment
    assert "- `leads` (0 rows, " in comment and "built CONCURRENTLY" in comment
    assert "<details>" in comment and "CREATE INDEX CONCURRENTLY" in comment


@pytest.mark.long
def test_policy_stale_generated_and_invalid_yaml_fail(repo: Path, tmp_path: Path, pg_server_dsn: str) -> None:
    # generated/ not regenerated after the edit: the check fails and says what to run.
    add_roof_type(repo, index=False)
    code, comment, _ = run_check(repo, tmp_path, pg_server_dsn, PGEVOLVE_COMMENT="false")
    assert code == 1
    assert "**`generated/` is stale**: run `pgevolve generate` and commit it." in comment
    assert "gains `roof_type`" in comment  # the plan is still shown

    # A dropped column with fail-on destructive: refused by policy (plan exit 3).
    assert pgevolve(repo, "generate").returncode == 0
    leads = repo / "schema" / "tables" / "leads.yaml"
    leads.write_text(leads.read_text().replace("  phone:               { type: text }\n", ""))
    assert pgevolve(repo, "generate").returncode == 0
    code, comment, _ = run_check(repo, tmp_path, pg_server_dsn, PGEVOLVE_COMMENT="false",
                                 PGEVOLVE_FAIL_ON="destructive,blocked")
    assert code == 1
    assert "`leads` loses `phone` and the values it holds." in comment
    assert "**Refused by policy** (`--fail-on destructive,blocked`)" in comment
    assert "needs `--allow-destructive`" in comment

    # Invalid YAML: the errors, with file and line, in the comment.
    leads.write_text(leads.read_text().replace("type: text, nullable: false", "type: text, nullabel: false", 1))
    code, comment, _ = run_check(repo, tmp_path, pg_server_dsn, PGEVOLVE_COMMENT="false")
    assert code == 1
    assert "**The YAML is invalid**" in comment and "leads.yaml:" in comment and "nullable" in comment
    assert leftover_databases(pg_server_dsn) == []


def test_the_action_declares_the_script_and_the_hooks_exist() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    run = " ".join(step.get("run", "") for step in action["runs"]["steps"])
    assert "ci/pr_check.py" in run
    assert {"schema-dir", "database-url", "server-url", "fail-on", "comment"} <= set(action["inputs"])
    hooks = {hook["id"]: hook for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["pgevolve-validate"]["entry"] == "pgevolve validate"
    assert hooks["pgevolve-generate"]["entry"] == "pgevolve generate"


@pytest.mark.long
def test_without_a_server_the_base_is_built_on_pgevolves_local_postgresql(repo: Path, tmp_path: Path,
                                                                        no_database: Path) -> None:
    leads = repo / "schema" / "tables" / "leads.yaml"
    leads.write_text(leads.read_text().replace(
        "  phone:               { type: text }\n",
        "  phone:               { type: text }\n  preferred_contact_time: { type: text }\n"))
    assert pgevolve(repo, "generate").returncode == 0
    code, comment, _ = run_check(repo, tmp_path, None, PGEVOLVE_COMMENT="false")
    assert code == 0, comment
    assert "- `leads` gains `preferred_contact_time` (text, optional)." in comment
    assert "- `leads` (0 rows, " in comment
