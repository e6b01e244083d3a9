"""Promotion beyond the plain case, against a real PostgreSQL through the CLI: a table renamed around a
promotion, an enum-typed column in a non-public owned schema, a table without a primary key."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import psycopg
import pytest

from conftest import cli
from conftest import cli_apply as apply
from pgevolve.catalog.introspect import introspect

pytestmark = pytest.mark.usefixtures("private_cache")

ROWS = 20_000


def write_schema(root: Path, tables: dict[str, str], project: str = "schema: public\n") -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    for old in (schema / "tables").glob("*.yaml"):
        old.unlink()
    (schema / "pgevolve.yaml").write_text(project)
    for name, text in tables.items():
        (schema / "tables" / f"{name}.yaml").write_text(text)
    return schema




def assert_converged(schema: Path, dsn: str, fresh: str, name: str = "public") -> None:
    """Both oracles: the next plan is empty, and the catalog equals that of a database built fresh."""
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", dsn)
    assert code == 0, out
    code, out = apply(schema, fresh)
    assert code == 0, out
    with psycopg.connect(dsn) as migrated, psycopg.connect(fresh) as built:
        assert introspect(migrated, name) == introspect(built, name)


def rows(dsn: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]



def _table(name: str, *, renamed_from: str | None = None, promoted: bool = True, key: bool = True,
           column: bool = False) -> str:
    text = f"table: {name}\n" + (f"renamed_from: {renamed_from}\n" if renamed_from else "") + "columns:\n"
    text += "  id:            { type: integer" + (", primary_key: true }\n" if key else " }\n")
    text += "  custom_fields: { type: custom_fields }\n"
    if promoted:
        text += "  referral_source: { type: text, promoted_from: custom_fields.referral_source }\n"
    elif column:
        text += "  referral_source: { type: text }\n"
    return text


def _seed(dsn: str, table: str, schema: str = "public") -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            f'INSERT INTO "{schema}"."{table}" (id, custom_fields) SELECT g, jsonb_build_object('  # type: ignore[arg-type]
            "'referral_source', (ARRAY['web', 'partner', 'radio'])[1 + g %% 3]) FROM generate_series(1, %s) g",
            (ROWS,))


TRIGGERS = ("SELECT t.tgname, p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal ORDER BY 1")
UNSYNCED = "SELECT count(*) FROM {} WHERE referral_source IS DISTINCT FROM custom_fields->>'referral_source'"


def test_table_renamed_after_its_promotion_renames_the_trigger(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn, fresh, fresh2 = databases.create(), databases.create(), databases.create()
    code, out = apply(write_schema(tmp_path, {"leads": _table("leads", promoted=False)}), dsn)
    assert code == 0, out
    _seed(dsn, "leads")
    code, out = apply(write_schema(tmp_path, {"leads": _table("leads")}), dsn)
    assert code == 0, out
    assert rows(dsn, TRIGGERS) == [("leads_referral_source_promote", "leads_referral_source_promote")]
    # A later plan renames the table: the trigger and its function follow, nothing is backfilled again.
    schema = write_schema(tmp_path, {"prospects": _table("prospects", renamed_from="leads")})
    code, out = apply(schema, dsn)
    assert code == 0, out
    assert 'UPDATE "public"' not in out  # no backfill again
    assert rows(dsn, TRIGGERS) == [("prospects_referral_source_promote", "prospects_referral_source_promote")]
    with psycopg.connect(dsn) as conn:
        conn.execute("""INSERT INTO prospects (id, custom_fields) VALUES (-1, '{"referral_source": "tv"}')""")
    assert rows(dsn, UNSYNCED.format("prospects")) == [(0,)]
    assert_converged(schema, dsn, fresh)
    # promoted_from removed, and the table renamed back, in one plan: the trigger goes by its real name.
    schema = write_schema(tmp_path, {"leads": _table("leads", renamed_from="prospects", promoted=False, column=True)})
    code, out = apply(schema, dsn)
    assert code == 0, out
    assert rows(dsn, TRIGGERS) == []
    assert rows(dsn, "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace") == []
    assert_converged(schema, dsn, fresh2)


def test_table_renamed_and_promoted_in_one_plan(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn, fresh = databases.create(), databases.create()
    code, out = apply(write_schema(tmp_path, {"leads": _table("leads", promoted=False)}), dsn)
    assert code == 0, out
    _seed(dsn, "leads")
    schema = write_schema(tmp_path, {"prospects": _table("prospects", renamed_from="leads")})
    code, out = apply(schema, dsn, "--batch-size", "3000")
    assert code == 0, out
    assert rows(dsn, TRIGGERS) == [("prospects_referral_source_promote", "prospects_referral_source_promote")]
    assert rows(dsn, UNSYNCED.format("prospects")) == [(0,)]
    assert_converged(schema, dsn, fresh)


ENUM_PROJECT = 'schema: Sales CRM\nenums:\n  "Lead Source": [web, partner, radio, tv]\n'


def test_enum_column_in_a_non_public_owned_schema(databases, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dsn, fresh = databases.create(), databases.create()
    plain = _table("leads", promoted=False)
    code, out = apply(write_schema(tmp_path, {"leads": plain}, ENUM_PROJECT), dsn)
    assert code == 0, out
    _seed(dsn, "leads", "Sales CRM")
    promoted = plain + '  source: { type: "Lead Source", promoted_from: custom_fields.referral_source }\n'
    schema = write_schema(tmp_path, {"leads": promoted}, ENUM_PROJECT)
    # A value that is not a label of the enum is reported before anything changes.
    with psycopg.connect(dsn) as conn:
        conn.execute("""UPDATE "Sales CRM".leads SET custom_fields = '{"referral_source": "print"}' WHERE id = 7""")
    code, out = apply(schema, dsn)
    assert code == 3, out
    assert "7: 'print'" in out, out
    with psycopg.connect(dsn) as conn:
        conn.execute("""UPDATE "Sales CRM".leads SET custom_fields = '{"referral_source": "tv"}' WHERE id = 7""")
    code, out = apply(schema, dsn, "--batch-size", "4000")
    assert code == 0, out
    unsynced = ('SELECT count(*) FROM "Sales CRM".leads WHERE source::text IS DISTINCT FROM '
                "custom_fields->>'referral_source'")
    assert rows(dsn, unsynced) == [(0,)]
    # The application's session does not have the owned schema on its search_path: the trigger still casts.
    insert = ('INSERT INTO "Sales CRM".leads (id, custom_fields) '
              "VALUES (%s, jsonb_build_object('referral_source', %s::text))")
    with psycopg.connect(dsn) as conn:
        conn.execute("SET search_path = public")
        conn.execute(insert, (-1, "web"))  # type: ignore[arg-type]
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute(insert, (-2, "x"))  # type: ignore[arg-type]
    assert rows(dsn, unsynced) == [(0,)]
    assert_converged(schema, dsn, fresh, "Sales CRM")


def test_table_without_primary_key_is_backfilled_in_page_batches(db: str, tmp_path: Path) -> None:
    code, out = apply(write_schema(tmp_path, {"leads": _table("leads", promoted=False, key=False)}), db)
    assert code == 0, out
    _seed(db, "leads")
    schema = write_schema(tmp_path, {"leads": _table("leads", key=False)})
    code, out = apply(schema, db, "--batch-size", "1000", "--batch-time", "0")
    assert code == 0, out
    assert rows(db, UNSYNCED.format("leads")) == [(0,)]
    (batches, done, changed), = rows(db, "SELECT batches, done, rows_done FROM pgevolve.backfill_progress")
    pages = rows(db, "SELECT relpages FROM pg_class WHERE relname = 'leads'")[0][0]
    assert done and changed == ROWS and batches > 5, (batches, pages)
    code, out = cli("plan", "--schema-dir", str(schema), "--database-url", db)
    assert code == 0, out


def test_page_batches_reach_rows_moved_by_concurrent_updates_and_resume(db: str, tmp_path: Path) -> None:
    """Rows that the application moves (non-HOT updates that do not fire the trigger) during a page-range
    backfill are still filled; a killed backfill resumes after its last finished range."""
    code, out = apply(write_schema(tmp_path, {"leads": _table("leads", promoted=False, key=False)}), db)
    assert code == 0, out
    _seed(db, "leads")
    schema = write_schema(tmp_path, {"leads": _table("leads", key=False)})
    with psycopg.connect(db) as conn:  # the range scan is a TID Range Scan, not a scan of the whole table
        conn.execute("ANALYZE leads")
        plan = conn.execute("EXPLAIN UPDATE leads SET id = id WHERE ctid >= '(3,0)'::tid AND ctid < '(9,0)'::tid")
        assert "Tid Range Scan" in "\n".join(r[0] for r in plan.fetchall())
    stop, killed = threading.Event(), threading.Event()

    def mover() -> None:
        with psycopg.connect(db, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("UPDATE leads SET id = id WHERE id = %s", (random.randint(1, ROWS),))

    def killer() -> None:
        with psycopg.connect(db, autocommit=True) as conn:
            while not stop.is_set():
                found = conn.execute("SELECT batches FROM pgevolve.backfill_progress WHERE batches >= 5").fetchone() \
                    if conn.execute("SELECT to_regclass('pgevolve.backfill_progress')").fetchone()[0] else None
                if found:
                    conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                                 "'pgevolve' AND datname = current_database()")
                    killed.set()
                    return
                time.sleep(0.005)

    threads = [threading.Thread(target=mover), threading.Thread(target=killer)]
    for thread in threads:
        thread.start()
    try:
        code, out = apply(schema, db, "--batch-size", "400", "--batch-time", "0", "--batch-pause", "0.05")
        assert killed.is_set() and code == 1, out
        (done_before,), = rows(db, "SELECT batches FROM pgevolve.backfill_progress")
        code, out = apply(schema, db, "--batch-size", "400", "--batch-time", "0")
        assert code == 0 and "resuming" in out, out
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert rows(db, UNSYNCED.format("leads")) == [(0,)]
    assert rows(db, "SELECT count(*) FROM leads") == [(ROWS,)]
    (batches, rows_done), = rows(db, "SELECT batches, rows_done FROM pgevolve.backfill_progress")
    assert isinstance(done_before, int) and batches > done_before >= 5
    assert rows_done == ROWS  # every row filled exactly once, none missed (moved rows included)
