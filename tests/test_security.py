"""Issue 9, as a hostile contributor would try it: nothing from a YAML file or the catalog runs as SQL.

Every test runs against a real PostgreSQL through the CLI, on a database holding a
``canary`` table that must survive, and checks that no file appeared on the server
(``pg_stat_file`` asks the server itself, so it holds for a remote test server too).
"""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pglast
import psycopg
import pytest
from pglast import ast
from plan_runs import find_psql
from typer.testing import CliRunner

from pgevolve.cli import app


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def target(db: str) -> str:
    """A database with a canary table of three rows, in a schema pgevolve does not own (so no plan drops it)."""
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA bystander; CREATE TABLE bystander.canary (n int);"
                     "INSERT INTO bystander.canary VALUES (1), (2), (3)")
    return db


@pytest.fixture
def server_file() -> str:
    """A path on the database server that a payload tries to write (a fresh one per test)."""
    return f"/tmp/pgevolve_security_{uuid.uuid4().hex}"


def canary_rows(dsn: str) -> int | None:
    with psycopg.connect(dsn) as conn:
        if conn.execute("SELECT to_regclass('bystander.canary')").fetchone()[0] is None:  # type: ignore[index]
            return None
        return conn.execute("SELECT count(*) FROM bystander.canary").fetchone()[0]  # type: ignore[index]


def file_on_server(dsn: str, path: str) -> bool:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT pg_stat_file(%s, true) IS NOT NULL", (path,)).fetchone()[0]  # type: ignore[index]


def assert_untouched(dsn: str, path: str) -> None:
    assert canary_rows(dsn) == 3, "the canary table was dropped or changed"
    assert not file_on_server(dsn, path), f"a file appeared on the server: {path}"


def cli(*args: str, stdout_only: bool = False) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    output = result.output
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout if stdout_only else output


def project(root: Path, table_yaml: str, *, shapes: dict[str, str] | None = None) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "t.yaml").write_text(table_yaml)
    for name, text in (shapes or {}).items():
        (schema / "shapes").mkdir(exist_ok=True)
        (schema / "shapes" / f"{name}.yaml").write_text(text)
    return schema


def payload(path: str, *, dollar: bool = False) -> str:
    """SQL that writes a file on the server and drops the canary (the path dollar-quoted inside a string)."""
    quoted = f"$${path}$$" if dollar else f"'{path}'"
    return f"COPY (SELECT 1) TO {quoted}; DROP TABLE bystander.canary"


# -- 1. unquoted YAML fields ----------------------------------------------------------------------

def _hostile_fields(path: str) -> dict[str, str]:
    sql = payload(path)
    return {
        # Issue 9's reproduction as written: an operator class is a name (or schema.name), quoted
        # as written; this one is refused before anything runs because its first part is longer
        # than PostgreSQL keeps (the short ones are quoted harmlessly: see the test below).
        "opclass": f"""table: t
columns:
  id: {{ type: integer, primary_key: true }}
  s: {{ type: text }}
indexes:
  - columns: [s]
    opclass: "text_ops); {sql}; CREATE INDEX ON t (s"
""",
        "collation": f"""table: t
columns:
  id: {{ type: integer, primary_key: true }}
  s: {{ type: text, collation: "\\"C\\", x int); {sql}; CREATE TABLE z (y text" }}
""",
        "type modifier": f"""table: t
columns:
  id: {{ type: integer, primary_key: true }}
  n: {{ type: "numeric('10), x int); {payload(path, dollar=True)}; CREATE TEMP TABLE z (y numeric(10')" }}
""",
        "default": f"""table: t
columns:
  id: {{ type: integer, primary_key: true }}
  n: {{ type: integer, default: "1); {sql}; --" }}
""",
        "index predicate": f"""table: t
columns:
  id: {{ type: integer, primary_key: true }}
indexes:
  - columns: [id]
    where: "id > 0); {sql}; CREATE INDEX ON t ((id"
""",
    }


# What validate says about each: the field, where it is, and why it is no such thing.
_HOSTILE_FIELD_MESSAGES = {
    "opclass": "t.yaml:7:14: error: 'opclass' of index #1: the name is 109 bytes long; PostgreSQL keeps only 63",
    "collation": "t.yaml:4:31: error: 'collation' of column 's' must be one collation name",
    "type modifier": "t.yaml:4:14: error: 'type' of column 'n': 'numeric('10), x int); COPY",
    "default": "t.yaml:4:32: error: 'default' of column 'n' closes a parenthesis it did not open",
    "index predicate": "t.yaml:6:12: error: 'where' of index #1 closes a parenthesis it did not open",
}


@pytest.mark.parametrize("field", ["opclass", "collation", "type modifier", "default", "index predicate"])
def test_hostile_field_is_rejected_and_nothing_runs(field: str, target: str, server_file: str,
                                                    tmp_path: Path) -> None:
    schema = project(tmp_path, _hostile_fields(server_file)[field])
    code, out = cli("validate", "--schema-dir", str(schema))
    assert code == 1
    assert _HOSTILE_FIELD_MESSAGES[field] in out, out
    for command in (["plan"], ["apply", "--yes"]):
        code, out = cli(*command, "--schema-dir", str(schema), "--database-url", target)
        assert code == 1, out
    code, _ = cli("generate", "--schema-dir", str(schema), "--out", str(tmp_path / "generated"))
    assert code == 1
    assert not (tmp_path / "generated" / "schema.sql").exists()
    assert_untouched(target, server_file)


def _hostile_opclasses(path: str) -> dict[str, str]:
    """Operator classes that fit PostgreSQL's 63 bytes per part, written as SQL would end the key list."""
    write = f"x); COPY (SELECT 1) TO '{path}'; --"
    drop = "x); DROP TABLE bystander.canary; --"  # schema.name: "x); DROP TABLE bystander"."canary; --"
    head = "table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n  s: { type: text }\nindexes:\n"
    return {
        "index opclass writing a file": head + f'  - {{ columns: [s], opclass: "{write}" }}\n',
        "index opclass dropping the canary": head + f'  - {{ columns: [s], opclass: "{drop}" }}\n',
        "key opclass writing a file": head + f'  - keys: [id, {{ column: s, opclass: "{write}" }}]\n',
        "key opclass of an expression": head + f'  - keys: [{{ expression: lower(s), opclass: "{drop}" }}]\n',
    }


@pytest.mark.parametrize("case", ["index opclass writing a file", "index opclass dropping the canary",
                                  "key opclass writing a file", "key opclass of an expression"])
def test_hostile_opclass_is_a_quoted_name_and_nothing_runs(case: str, target: str, tmp_path: Path) -> None:
    """An operator class is a name or schema.name (issue 11): whatever it holds stays inside quotes."""
    server_file = f"/tmp/pgev_{uuid.uuid4().hex[:8]}"
    schema = project(tmp_path, _hostile_opclasses(server_file)[case])
    code, out = cli("validate", "--schema-dir", str(schema))
    assert code == 0, out  # a name PostgreSQL can keep: nothing to refuse here
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", target)
    assert code == 1 and "error: the desired schema does not build on PostgreSQL" in out, out
    assert ('" does not exist for access method "btree"' in out  # name
            or 'schema "x); DROP TABLE bystander" does not exist' in out), out  # schema.name
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", target, "--yes")
    assert code == 1, out
    code, out = cli("generate", "--schema-dir", str(schema), "--out", str(tmp_path / "generated"))
    assert code == 0, out
    script = (tmp_path / "generated" / "schema.sql").read_text()
    kinds = {type(raw.stmt).__name__ for raw in pglast.parse_sql(script)}
    assert kinds <= {"CreateStmt", "IndexStmt", "CommentStmt"}, (kinds, script)
    assert_untouched(target, server_file)


def _reaching_expressions(path: str) -> dict[str, str]:
    """One expression each, that PostgreSQL would evaluate with the DBA's privileges during apply."""
    export = f"lo_export(lo_from_bytea(0, ''x''), ''{path}'')"
    return {
        # ADD COLUMN evaluates a non-volatile (here: stable) default once, at ALTER time.
        "default through query_to_xml": f"n: {{ type: text, default: \"query_to_xml('SELECT {export}', true, "
                                        "true, '')::text\" }",
        # VALIDATE (and apply's pre-check) evaluates a CHECK on every existing row.
        "check writing a file": f"n: {{ type: integer, check: \"lo_export(lo_from_bytea(0, 'x'), '{path}') > 0\" }}",
        "check over dblink": "n: { type: integer, check: \"dblink_exec('dbname=postgres', 'DROP TABLE x') "
                             "IS NOT NULL\" }",
    }


@pytest.mark.parametrize("case", ["default through query_to_xml", "check writing a file", "check over dblink"])
def test_an_expression_that_reaches_past_its_row_is_refused(case: str, target: str, server_file: str,
                                                            tmp_path: Path) -> None:
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY); INSERT INTO t VALUES (1), (2)")
    column = _reaching_expressions(server_file)[case]
    schema = project(tmp_path, f"table: t\ncolumns:\n  id: {{ type: integer, primary_key: true }}\n  {column}\n")
    code, out = cli("validate", "--schema-dir", str(schema))
    assert code == 1 and "pgevolve refuses such functions in a schema expression" in out, out
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", target, "--yes")
    assert code == 1, out
    assert_untouched(target, server_file)


def test_collation_and_opclass_with_odd_names_are_quoted_not_pasted(target: str, tmp_path: Path) -> None:
    schema = project(tmp_path, """table: t
columns:
  id: { type: integer, primary_key: true }
  s: { type: text, collation: "C" }
  u: { type: text, collation: "en_US.utf8; DROP TABLE bystander.canary" }
""")
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", target)
    assert code == 1 and 'collation "en_US.utf8; DROP TABLE bystander.canary" for encoding' in out, out
    assert canary_rows(target) == 3
    schema = project(tmp_path, """table: t
columns:
  id: { type: integer, primary_key: true }
  s: { type: text }
indexes:
  - { columns: [s], opclass: "text_ops); DROP TABLE t; CREATE INDEX ON t (s" }
""")
    code, out = cli("validate", "--schema-dir", str(schema))
    assert code == 0, out  # a name, quoted as written: nothing to refuse
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", target)
    assert code == 1 and 'operator class "text_ops); DROP TABLE t; CREATE INDEX ON t (s" does not exist' in out, out
    assert canary_rows(target) == 3


# -- 2. literals and dollar quotes whatever the session settings ----------------------------------

def test_description_is_safe_with_standard_conforming_strings_off(target: str, tmp_path: Path) -> None:
    with psycopg.connect(target, autocommit=True) as conn:
        name = conn.info.dbname
        conn.execute(f'ALTER DATABASE "{name}" SET standard_conforming_strings = off')
    text = "harmless\\'; DROP TABLE bystander.canary; --"
    schema = project(tmp_path, """table: t
description: "harmless\\\\'; DROP TABLE bystander.canary; --"
columns:
  id: { type: integer, primary_key: true, description: 'C:\\new\\table' }
""")
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", target, "--yes")
    assert code == 0, out
    assert canary_rows(target) == 3
    with psycopg.connect(target) as conn:
        conn.execute("SET standard_conforming_strings = on")
        stored = conn.execute("SELECT obj_description('t'::regclass), col_description('t'::regclass, 1)").fetchone()
    assert stored == (text, "C:\\new\\table")
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", target)
    assert code == 0, out


def test_promoted_key_cannot_end_the_trigger_body(target: str, tmp_path: Path) -> None:
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{conn.info.dbname}" SET check_function_bodies = off')
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, custom_fields jsonb NOT NULL DEFAULT '{}')")
    key = "k$pgevolve$; DROP TABLE bystander.canary; --"
    schema = project(tmp_path, f"""table: t
columns:
  id: {{ type: integer, primary_key: true }}
  custom_fields: {{ type: custom_fields }}
  k: {{ type: text, promoted_from: "custom_fields.{key}" }}
""")
    code, out = cli("apply", "--schema-dir", str(schema), "--database-url", target, "--yes")
    assert code == 0, out
    assert canary_rows(target) == 3
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("INSERT INTO t (id, custom_fields) VALUES (1, jsonb_build_object(%s::text, 'v'))", (key,))
        assert conn.execute("SELECT k FROM t WHERE id = 1").fetchone() == ("v",)


def test_literals_read_the_same_under_both_settings(db: str) -> None:
    from pgevolve.sqltext.ident import quote_literal

    values = ["plain", "it's", "back\\slash", "\\'; DROP TABLE bystander.canary; --", "\\", "'\\'", "tab\tand\nnewline",
              "$pgevolve$", "é\u202e"]
    with psycopg.connect(db, autocommit=True) as conn:
        for setting in ("on", "off"):
            conn.execute(f"SET standard_conforming_strings = {setting}")
            conn.execute("SET escape_string_warning = off")
            for value in values:
                assert conn.execute(f"SELECT {quote_literal(value)}").fetchone() == (value,), (setting, value)


# -- 3. catalog names in comments and on the terminal ---------------------------------------------

def test_a_view_name_cannot_become_a_statement_of_the_sql_script(target: str, tmp_path: Path) -> None:
    view = "v\nDROP TABLE bystander.canary;\n--"
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY, old text)")
        conn.execute(f'CREATE VIEW "{view}" AS SELECT old FROM t')
    schema = project(tmp_path, "table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n")
    code, script = cli("plan", "--schema-dir", str(schema), "--database-url", target, "--format", "sql",
                       stdout_only=True)
    assert code == 2
    assert "-- BLOCKED: view v\\nDROP TABLE bystander.canary;\\n-- depends on" in script
    statements = [raw.stmt for raw in pglast.parse_sql(script)]
    assert not [s for s in statements if isinstance(s, ast.DropStmt)], script
    found = find_psql()
    if found:
        run = subprocess.run([found, "-X", "-q", "-d", target, "-f", "-"], input=script, text=True,
                             capture_output=True, timeout=120)
        assert "ERROR" in run.stderr  # the drop of the column: the view depends on it, no CASCADE
    assert canary_rows(target) == 3


def test_escape_sequences_in_names_are_shown_escaped(target: str, tmp_path: Path) -> None:
    evil = "x\x1b[2J\x1b]0;owned\x07\u202e"
    in_yaml = "x\\e[2J\\e]0;owned\\a\\u202e"  # the same, as YAML escapes (YAML refuses the raw characters)
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute(f'CREATE TABLE t (id integer PRIMARY KEY, "{evil}" text)')
        conn.execute(f'CREATE VIEW "v{evil}" AS SELECT 1')
    schema = project(tmp_path, f"""table: t
description: "line one\\nline\\x1b[31m two"
columns:
  id: {{ type: integer, primary_key: true }}
  "y{in_yaml}": {{ type: integer, check: "length(x) > 1" }}
""")
    code, out = cli("validate", "--schema-dir", str(schema))
    assert code == 1 and "\x1b" not in out and "\\x1b[2J" in out, out
    schema = project(tmp_path, f'table: t\ndescription: "a\\x1b[2Jb"\ncolumns:\n  id: {{ type: integer, '
                               f'primary_key: true }}\n  "y{in_yaml}": {{ type: text }}\n')
    for fmt in ("text", "markdown"):
        code, out = cli("plan", "--schema-dir", str(schema), "--database-url", target, "--format", fmt)
        assert code == 2, out
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out, out
        assert "\\x1b[2J" in out
    code, out = cli("drift", "--schema-dir", str(schema), "--database-url", target)
    assert code == 2 and "\x1b" not in out, out


# -- 5. saved plans -------------------------------------------------------------------------------

def _saved(target: str, tmp_path: Path) -> tuple[Path, Path]:
    schema = project(tmp_path, "table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"
                               "  s: { type: text }\n")
    planfile = tmp_path / "plan.json"
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", target, "--out", str(planfile))
    assert code == 2, out
    return schema, planfile


def _rewrite(planfile: Path, edit: object, *, sign_with: bytes | None | bool = False) -> None:
    """Edit the file; ``sign_with``: recompute the digest as a forger would (None: plain SHA-256, or a key)."""
    from pgevolve.apply.saved import _digest

    data = json.loads(planfile.read_text())
    edit(data)  # type: ignore[operator]
    if sign_with is not False:
        data["digest"] = _digest(data, sign_with if isinstance(sign_with, bytes) else None)
    planfile.write_text(json.dumps(data))


@pytest.mark.parametrize(("key", "forger"), [
    (None, False),  # a hand edit: the digest no longer matches
    ("team secret", None),  # a forger recomputes a plain SHA-256: the key is required
    ("team secret", b"guessed key"),  # or signs with another key
], ids=["edited", "sha256-recomputed-under-a-key", "signed-with-another-key"])
def test_an_edited_sql_field_of_a_saved_plan_is_refused(key: str | None, forger: bytes | None | bool, target: str,
                                                        server_file: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    if key:
        monkeypatch.setenv("PGEVOLVE_PLAN_KEY", key)
    schema, planfile = _saved(target, tmp_path)

    def edit(data: dict) -> None:
        data["plan"]["steps"][0]["sql"] = payload(server_file)

    _rewrite(planfile, edit, sign_with=forger)
    code, out = cli("apply", str(planfile), "--schema-dir", str(schema), "--database-url", target)
    assert code == 3, out
    assert "the plan file does not match its digest" in out
    assert_untouched(target, server_file)


def test_a_signed_plan_applies_only_where_the_key_is(target: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_PLAN_KEY", "team secret")
    schema, planfile = _saved(target, tmp_path)
    assert json.loads(planfile.read_text())["digest"].startswith("hmac-sha256:")
    monkeypatch.delenv("PGEVOLVE_PLAN_KEY")
    code, out = cli("apply", str(planfile), "--schema-dir", str(schema), "--database-url", target)
    assert code == 3 and "PGEVOLVE_PLAN_KEY is not set here" in out, out
    monkeypatch.setenv("PGEVOLVE_PLAN_KEY", "team secret")
    code, out = cli("apply", str(planfile), "--schema-dir", str(schema), "--database-url", target)
    assert code == 0, out


def test_an_untouched_saved_plan_still_applies(target: str, tmp_path: Path) -> None:
    schema, planfile = _saved(target, tmp_path)
    code, out = cli("apply", str(planfile), "--schema-dir", str(schema), "--database-url", target)
    assert code == 0, out


# -- 6. passwords ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "secrets"), [
    ("host=127.0.0.1 port=1 password=s3cr3t PW", ("s3cr3t", "PW")),
    ("postgresql://u:s3cr3t@PW@127.0.0.1:1/db", ("s3cr3t", "PW")),
    ("postgresql://u:s3/cr3t@PW@127.0.0.1:1/db", ("s3", "cr3t", "PW")),
    ("host=127.0.0.1 port=1 password='s3cr3t PW", ("s3cr3t", "PW")),
    ("host=127.0.0.1 port=1 password = s3cr3t", ("s3cr3t",)),
    ("host=127.0.0.1 port=1 sslpassword=s3cr3t", ("s3cr3t",)),
    ("postgresql://127.0.0.1:1/db?password=s3cr3t&user=u", ("s3cr3t",)),
    ("postgresql://u:s3 cr3t@127.0.0.1:1/db", ("s3", "cr3t")),  # a space not percent-encoded: libpq quotes it
    ("postgresql://u:s3cr3t\nPW@127.0.0.1:1/db", ("s3cr3t", "PW")),
])
def test_password_is_never_printed(url: str, secrets: tuple[str, ...]) -> None:
    code, out = cli("history", "--database-url", url)
    assert code == 1, out
    for secret in secrets:
        assert secret not in out, out


# -- catalog names come back as the names they are -------------------------------------------------

def test_catalog_opclass_and_collation_names_are_rebuilt_exactly(db: str) -> None:
    from dataclasses import replace

    from pgevolve.catalog import introspect
    from pgevolve.sqltext import ddl

    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute('CREATE COLLATION public."""odd.name" FROM "C"')
        conn.execute('CREATE OPERATOR CLASS "MyOps" FOR TYPE text USING btree AS OPERATOR 1 <, OPERATOR 2 <=, '
                     "OPERATOR 3 =, OPERATOR 4 >=, OPERATOR 5 >, FUNCTION 1 bttextcmp(text, text)")
        conn.execute('CREATE TABLE t (id int PRIMARY KEY, s text COLLATE public."""odd.name")')
        conn.execute('CREATE INDEX t_s_idx ON t (s "MyOps")')
        table = introspect(conn, "public").table("t")
        assert table is not None
        scope = ddl.Scope("public")
        column = replace(table.column("s"), name="s2")  # type: ignore[type-var]
        conn.execute(ddl.add_column("t", column, scope))
        conn.execute(ddl.create_index("t", replace(table.indexes[0], name="t_s2_idx"), scope, concurrently=False))
        rows = conn.execute("SELECT c.collname, pg_get_indexdef('t_s2_idx'::regclass) FROM pg_attribute a "
                            "JOIN pg_collation c ON c.oid = a.attcollation WHERE a.attrelid = 't'::regclass "
                            "AND a.attname = 's2'").fetchone()
    assert rows is not None and rows[0] == '"odd.name' and '"MyOps"' in rows[1], rows
