"""The no-op fast path: a plan of unchanged YAML against a catalog found in sync skips compiling and
normalizing, and any change of the catalog (by hand, or by another apply) is still seen."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psycopg
import pytest

from conftest import cli_apply
from pgevolve.catalog import read_catalog, read_catalog_rows
from pgevolve.errors import ExecutionFailed
from pgevolve.pipeline import plan_against
from pgevolve.server.connect import Target

pytestmark = pytest.mark.usefixtures("private_cache")

TABLE = """\
table: leads
columns:
  id:     { type: integer, primary_key: true }
  email:  { type: text, check: "email <> ''" }
  status: { type: text, default: "'new'" }
indexes:
  - expression: "lower(email)"
    where: "status <> 'lost'"
"""


def _schema(root: Path) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(TABLE)
    return schema


def _apply(db: str, schema: Path) -> None:
    from pgevolve.apply.run import ApplyOptions, execute_plan

    execute_plan(db, plan_against(schema, Target(db, "test")).plan, ApplyOptions(search_path="public"))


@pytest.mark.parametrize("hand_change", [
    "ALTER TABLE leads ALTER COLUMN status SET DEFAULT 'open'",
    "ALTER TABLE leads ADD COLUMN note text",
    "CREATE VIEW lead_emails AS SELECT email FROM leads",  # unmanaged: reported, and the digest sees it
    "COMMENT ON TABLE leads IS 'by hand'",
])
def test_a_hand_change_after_an_empty_plan_is_seen(db: str, tmp_path: Path, hand_change: str) -> None:
    schema = _schema(tmp_path)
    _apply(db, schema)
    first = plan_against(schema, Target(db, "test"))
    assert first.plan.is_empty
    fast = plan_against(schema, Target(db, "test"))
    assert fast.plan.is_empty and fast.known is None  # compiled YAML never needed
    assert fast.actual == first.actual and fast.catalog_objects == first.catalog_objects
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(hand_change)
    after = plan_against(schema, Target(db, "test"))
    assert (not after.plan.is_empty) or after.unmanaged != first.unmanaged or after.actual != first.actual


def test_the_indexes_read_on_a_second_connection_is_the_same_catalog(db: str, tmp_path: Path) -> None:
    _apply(db, _schema(tmp_path))
    with psycopg.connect(db, autocommit=True) as conn:
        alone = read_catalog(conn, "public")
        shared = read_catalog_rows(conn, "public", dsn=db).build()
        in_transaction = conn.transaction()
        with in_transaction:  # inside a caller's transaction there is no second connection: same rows
            joined = read_catalog_rows(conn, "public", dsn=db).build()
    assert alone.database == shared.database == joined.database
    assert alone.digest == shared.digest == joined.digest


def test_rows_and_statistics_leave_the_fast_path_on(db: str, tmp_path: Path) -> None:
    """The digest leaves out the tables' size estimates (autovacuum changes them; no plan of unchanged
    YAML depends on them when it is empty)."""
    schema = _schema(tmp_path)
    _apply(db, schema)
    assert plan_against(schema, Target(db, "test")).plan.is_empty  # records the catalog as in sync
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("INSERT INTO leads SELECT g, 'e' || g FROM generate_series(1, 500) g")
        conn.execute("ANALYZE leads")
    fast = plan_against(schema, Target(db, "test"))
    assert fast.plan.is_empty and fast.known is None


CASES = Path(__file__).parent / "cases" / "schemas"


def _case_schema(case: str, root: Path) -> Path:
    import shutil

    schema = Path(shutil.copytree(CASES / case / "schema", root / "schema"))
    if not (schema / "pgevolve.yaml").exists():
        (schema / "pgevolve.yaml").write_text("schema: public\n")
    return schema


def test_prerequisites_take_the_full_path_and_a_dropped_one_is_created(db: str, tmp_path: Path) -> None:
    """A catalog read cannot tell that a function of prerequisites.sql is gone: never the fast path."""
    schema = _case_schema("prerequisite_functions", tmp_path)
    code, output = cli_apply(schema, db)
    assert code == 0, output
    for _ in range(2):
        again = plan_against(schema, Target(db, "test"))
        assert again.plan.is_empty and again.known is not None
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("DROP FUNCTION public.arr_lower(text[]) CASCADE")  # the CHECK and index go with it
    after = plan_against(schema, Target(db, "test"))
    assert any("arr_lower" in step.sql for step in after.plan.steps)


def test_several_schemas_take_the_full_path_and_see_every_schema(db: str, tmp_path: Path) -> None:
    schema = _case_schema("several_schemas", tmp_path)
    assert cli_apply(schema, db)[0] == 0
    for _ in range(2):
        again = plan_against(schema, Target(db, "test"))
        assert again.plan.is_empty and again.known is not None
    assert again.schemas == ("public", "billing")
    assert any(key.startswith("billing: ") for key in again.catalog_objects)
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE billing.line ADD COLUMN note text")
    after = plan_against(schema, Target(db, "test"))
    assert not after.plan.is_empty


# The definitions stamp (catalog/queries/stamp.sql): a target whose stamp is that of a catalog found in sync
# answers an unchanged YAML with one query; every change of a definition is still seen.
STAMP_SETUP = "CREATE FUNCTION lead_label() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'lead' $$"
STAMP_TABLE = TABLE.replace("indexes:\n", """\
  mood:   { type: mood }
  label:  { type: text, default: "lead_label()" }
  seq:    { type: serial }
indexes:
""") + "  - columns: [status]\n"


def _stamped_schema(db: str, root: Path) -> Path:
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute(STAMP_SETUP)
    schema = _schema(root)
    (schema / "pgevolve.yaml").write_text("schema: public\nenums:\n  mood:\n    values: [calm, busy]\n")
    (schema / "tables" / "leads.yaml").write_text(STAMP_TABLE)
    _apply(db, schema)
    assert plan_against(schema, Target(db, "test")).plan.is_empty  # in sync: its stamp recorded
    return schema


def _rows_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("the catalog was read in full")

    monkeypatch.setattr("pgevolve.pipeline._read_rows", refuse)


def test_an_unchanged_database_is_answered_by_its_stamp(db: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    schema = _stamped_schema(db, tmp_path)
    full = plan_against(schema, Target(db, "test"))
    with psycopg.connect(db, autocommit=True) as conn, psycopg.connect(db, autocommit=True) as other:
        conn.execute("INSERT INTO leads (id, email) SELECT g, 'e' || g FROM generate_series(1, 500) g")
        conn.execute("ANALYZE leads")
        conn.execute("VACUUM leads")
        other.execute("CREATE TEMPORARY TABLE scratch (a int PRIMARY KEY, b text DEFAULT 'x')")  # another session's
        _rows_never_read(monkeypatch)
        fast = plan_against(schema, Target(db, "test"))
        assert fast.plan.is_empty and fast.known is None
        assert fast.unmanaged == full.unmanaged
    monkeypatch.undo()
    assert fast.actual == full.actual  # read when asked for


@pytest.mark.parametrize("hand_change", [
    "COMMENT ON COLUMN leads.email IS 'by hand'",
    "ALTER TYPE mood ADD VALUE 'angry'",
    "ALTER TYPE mood RENAME TO temper",  # the column's type is now spelled temper
    "ALTER FUNCTION lead_label() RENAME TO lead_name",  # the default is now lead_name()
    "CREATE SCHEMA elsewhere; ALTER FUNCTION lead_label() SET SCHEMA elsewhere",  # elsewhere.lead_label()
    "ALTER SEQUENCE leads_seq_seq OWNED BY NONE",  # no longer a serial
    "DROP INDEX leads_status_idx",
    "ALTER INDEX leads_status_idx SET (fillfactor = 50)",
    "ALTER TABLE leads ALTER COLUMN email SET STATISTICS 500",
    "ALTER TABLE leads ALTER COLUMN status SET NOT NULL",
    "CREATE TRIGGER t BEFORE UPDATE ON leads FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'leads_status_idx'::regclass",
])
def test_a_changed_definition_changes_the_stamp(db: str, tmp_path: Path, hand_change: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pgevolve import pipeline
    from pgevolve.catalog import read_stamp

    schema = _stamped_schema(db, tmp_path)
    with psycopg.connect(db, autocommit=True) as conn:
        before = read_stamp(conn)
        conn.execute(hand_change)
        assert read_stamp(conn) != before
    reads: list[object] = []
    read_rows = pipeline._read_rows
    monkeypatch.setattr(pipeline, "_read_rows",
                        lambda *args, **kwargs: reads.append(args) or read_rows(*args, **kwargs))
    with contextlib.suppress(ExecutionFailed):  # the desired default may call a function that is gone
        plan_against(schema, Target(db, "test"))
    assert reads, "answered by the stamp of the catalog before the change"


def _counting_queries(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times each query of catalog/__init__ runs: "unmanaged" once per catalog read, "stamp" per stamp."""
    import pgevolve.catalog as catalog

    counts: dict[str, int] = {}
    run = catalog.run_raw_query

    def counted(conn: psycopg.Connection, name: str, *args: object) -> object:
        counts[name] = counts.get(name, 0) + 1
        return run(conn, name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog, "run_raw_query", counted)
    return counts


def _plan_counting(db: str, schema: Path, counts: dict[str, int]) -> tuple[bool, dict[str, int]]:
    counts.clear()
    planned = plan_against(schema, Target(db, "test"))
    return planned.plan.is_empty, {name: counts.get(name, 0) for name in ("stamp", "unmanaged")}


def test_the_stamp_is_read_only_by_a_read_about_to_be_recorded_in_sync(db: str, tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    schema = _schema(tmp_path)
    _apply(db, schema)
    counts = _counting_queries(monkeypatch)
    # Found in sync by the canonical form's fingerprint: its digest recorded, no stamp read.
    assert _plan_counting(db, schema, counts) == (True, {"stamp": 0, "unmanaged": 1})
    # Its digest known in sync: the stamp read in the same snapshot, and recorded.
    assert _plan_counting(db, schema, counts) == (True, {"stamp": 1, "unmanaged": 1})
    # Answered by the stamp alone.
    assert _plan_counting(db, schema, counts) == (True, {"stamp": 1, "unmanaged": 0})


def test_a_warm_plan_of_a_changed_catalog_reads_it_once(db: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    schema = _schema(tmp_path)
    _apply(db, schema)
    for _ in range(2):  # in sync, its stamp recorded
        assert plan_against(schema, Target(db, "test")).plan.is_empty
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE leads ADD COLUMN note text")
    counts = _counting_queries(monkeypatch)
    # The stamp compared (a different one), then one read of the catalog, planned in full from it.
    assert _plan_counting(db, schema, counts) == (False, {"stamp": 1, "unmanaged": 1})


@pytest.mark.parametrize(("threshold", "asides"), [(100, 0), (1, 1)])
def test_the_indexes_go_to_a_second_connection_only_for_a_large_schema(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: int, asides: int) -> None:
    import pgevolve.catalog as catalog
    from pgevolve import pipeline

    schema = _schema(tmp_path)
    _apply(db, schema)
    monkeypatch.setattr(pipeline, "_TABLES_WORTH_A_SECOND_CONNECTION", threshold)
    side_queries, opened = catalog._side_queries, []
    monkeypatch.setattr(catalog, "_side_queries", lambda *args: opened.append(args) or side_queries(*args))
    with psycopg.connect(db, autocommit=True) as conn:
        conn.execute("ALTER TABLE leads ADD COLUMN note text")  # the warm plan reads the catalog's rows
    planned = plan_against(schema, Target(db, "test"))
    assert len(opened) == asides  # the YAML's one table against the threshold
    assert not planned.plan.is_empty
    with psycopg.connect(db, autocommit=True) as conn:
        assert planned.actual == read_catalog(conn, "public").database
