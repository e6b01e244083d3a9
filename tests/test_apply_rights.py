"""Roles without the rights a command needs, and read-only databases: a clear error and exit 1, never a traceback.

Real roles on the test server (unique names, dropped afterwards).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from typer.testing import CliRunner

from pgevolve.cli import app
from pgevolve.server.connect import with_dbname

LEADS = """\
table: leads
columns:
  id:            { type: integer, primary_key: true }
  custom_fields: { type: custom_fields }
"""


def write_schema(root: Path) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(LEADS)
    return schema


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def as_role(dsn: str, role: str, dbname: str | None = None) -> str:
    params = {k: v for k, v in conninfo_to_dict(with_dbname(dsn, dbname) if dbname else dsn).items() if v is not None}
    params.update(user=role, password="pw-" + role)
    return make_conninfo(**params)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def role(pg_server_dsn: str, databases: object) -> Iterator[str]:
    """A login role with no CREATEDB and no special rights; dropped (with what it owns) afterwards."""
    name = f"pgevolve_weak_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN NOCREATEDB PASSWORD 'pw-{name}'")
    yield name
    created: list[str] = getattr(databases, "created", [])
    for dbname in created:
        try:
            with psycopg.connect(with_dbname(pg_server_dsn, dbname), autocommit=True) as conn:
                conn.execute(f"DROP OWNED BY {name}")
        except psycopg.Error:
            pass
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {name}")


@pytest.fixture
def applied(db: str, tmp_path: Path) -> tuple[str, Path]:
    """A database where the schema was applied (by the superuser), with rows, and history."""
    schema = write_schema(tmp_path)
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0, out
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO leads SELECT g, jsonb_build_object('source', 'web') FROM generate_series(1, 10) g")
    return db, schema


def test_dev_url_role_that_cannot_create_databases(applied: tuple[str, Path], role: str, tmp_path: Path,
                                                    pg_server_dsn: str) -> None:
    db, schema = applied
    (schema / "tables" / "leads.yaml").write_text(LEADS + "  note: { type: text }\n")
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--yes",
                    "--dev-url", as_role(pg_server_dsn, role))
    assert code == 1, out
    assert "cannot create a scratch database" in out and "permission denied to create database" in out, out


def test_apply_as_a_role_that_cannot_create_the_history_schema(db: str, role: str, tmp_path: Path) -> None:
    schema = write_schema(tmp_path)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"GRANT CREATE, USAGE ON SCHEMA public TO {role}")
        conn.execute("REVOKE CREATE ON DATABASE " + conninfo_to_dict(db)["dbname"] + " FROM PUBLIC")
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", as_role(db, role), "--yes",
                    "--dev-url", db)
    assert code == 1, out
    assert "recording the apply in pgevolve.history failed" in out and "permission denied" in out, out
    assert f"CREATE SCHEMA pgevolve AUTHORIZATION {role}" in out and "Nothing was changed" in out, out
    with psycopg.connect(db) as conn:
        assert conn.execute("SELECT to_regclass('public.leads')").fetchone() == (None,)
    with psycopg.connect(db, autocommit=True) as conn:  # what the message says to do
        conn.execute(f"CREATE SCHEMA pgevolve AUTHORIZATION {role}")
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", as_role(db, role), "--yes",
                    "--dev-url", db)
    assert code == 0, out


def test_a_step_the_role_may_not_run(applied: tuple[str, Path], role: str) -> None:
    """Not the table's owner: the failing step and statement are named, the history says failed."""
    db, schema = applied
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(f"GRANT USAGE ON SCHEMA pgevolve TO {role}")
        conn.execute(f"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA pgevolve TO {role}")
    (schema / "tables" / "leads.yaml").write_text(LEADS + "  note: { type: text }\n")
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", as_role(db, role), "--yes",
                    "--dev-url", db)
    assert code == 1, out
    assert "step 1 of 1 (Adds column `note` to `leads`) failed: 42501 must be owner of table leads" in out, out
    assert 'statement: ALTER TABLE "public"."leads" ADD COLUMN "note" text' in out, out
    code, out = cli("history", "--database-url", as_role(db, role))
    assert code == 0 and "failed" in out, out


def test_read_only_database(applied: tuple[str, Path], pg_server_dsn: str) -> None:
    db, schema = applied
    dbname = conninfo_to_dict(db)["dbname"]
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" SET default_transaction_read_only = on')
    (schema / "tables" / "leads.yaml").write_text(LEADS + "  note: { type: text }\n")
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db)
    assert code == 1 and "accepts no writes" in out and "--dev-url" in out, out
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db, "--dev-url", pg_server_dsn)
    assert code == 2, out  # reading works; the scratch database lives elsewhere
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", db, "--dev-url", pg_server_dsn, "--yes")
    assert code == 1, out
    assert "read-only transaction" in out and "accepts no writes" in out and "Nothing was changed" in out, out
    code, out = cli("history", "--database-url", db)
    assert code == 0 and "applied" in out, out
    with psycopg.connect(pg_server_dsn, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{dbname}" RESET default_transaction_read_only')


def test_history_and_usage_without_rights(applied: tuple[str, Path], role: str) -> None:
    db, _ = applied
    code, out = cli("history", "--database-url", as_role(db, role))
    assert code == 1, out
    assert "reading pgevolve.history failed: 42501 permission denied for schema pgevolve" in out, out
    assert f"role '{role}'" in out and "GRANT USAGE ON SCHEMA pgevolve" in out, out
    code, out = cli("usage", "leads", "--database-url", as_role(db, role))
    assert code == 1, out
    assert "permission denied for table leads" in out and "GRANT SELECT" in out, out
