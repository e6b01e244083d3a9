"""pgevolve usage against a real PostgreSQL: seeded CRM leads, pg_stat_statements, sampling, advice."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import replace

import psycopg
import pytest

from conftest import ROOT, DatabaseFactory, ServerAdmin
from pgevolve.jsonb.commands import parse_usage_target, usage_command
from pgevolve.jsonb.usage import Action, UsageError, UsageReport, collect_usage, render_usage
from pgevolve.jsonb.usage import collect as collect_module
from pgevolve.jsonb.usage import stats as stats_module
from pgevolve.jsonb.usage.advice import advise_column
from pgevolve.jsonb.usage.filters import ColumnEvidence, KeyIndex, StatementEvidence
from pgevolve.jsonb.usage.paths import format_path, path_segments
from pgevolve.jsonb.usage.sqlrefs import JsonUse, find_json_uses, index_key_path
from pgevolve.jsonb.usage.stats import (
    ColumnStats,
    KeyStats,
    Sample,
    TypeCount,
    choose_sample_percent,
    estimate_distinct,
)

sys.path.insert(0, str(ROOT / "bench"))
import seed  # noqa: E402

# One worker runs this module: its seeded CRM (a module fixture) is built once (pyproject: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("usage_crm")
WORKLOAD = 200
MINIMAL_LEADS = """
CREATE EXTENSION pg_stat_statements;
CREATE TABLE leads (
    id bigserial PRIMARY KEY,
    full_name text,
    custom_fields jsonb NOT NULL DEFAULT '{}',
    tags jsonb NOT NULL DEFAULT '[]'
);
"""


def reset_statements(conn: psycopg.Connection) -> None:
    """Forget this database's statements only (other tests' databases share the server's counters)."""
    conn.execute("SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database "
                 "WHERE datname = current_database()), 0)")


def wait_for_index_scans(dsn: str, index: str, scans: int) -> None:
    """Backends flush their counters at most once a second: wait until the scans are visible."""
    deadline = time.monotonic() + 15
    with psycopg.connect(dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = %s", (index,)).fetchone()
            if row and row[0] >= scans:
                return
            time.sleep(0.2)
    raise AssertionError(f"{index} has fewer than {scans} scans")


@pytest.fixture(scope="module")
def crm(pg_server_dsn: str, server_admin: ServerAdmin) -> Iterator[str]:
    """The CRM schema (generated/schema.sql) with 5,000 seeded leads and a filtering workload behind it."""
    factory = DatabaseFactory(pg_server_dsn, server_admin)
    dsn = factory.create()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION pg_stat_statements")
        conn.execute((ROOT / "generated" / "schema.sql").read_text())  # type: ignore[arg-type]
    seed.seed_crm(dsn, 5_000, seed=1)
    with psycopg.connect(dsn, autocommit=True) as conn:
        reset_statements(conn)
    seed.run_workload(dsn, WORKLOAD, seed=1)
    try:
        yield dsn
    finally:
        factory.drop_all()


@pytest.fixture(scope="module")
def report(crm: str) -> UsageReport:
    with psycopg.connect(crm, autocommit=True) as conn:
        return collect_usage(conn, "public", "leads")


def test_referral_source_is_in_about_80_percent_of_rows(report: UsageReport) -> None:
    usage = report.column("leads", "custom_fields")
    assert usage is not None
    stats = usage.stats
    assert stats.sample == Sample(percent=None, seed=0, rows_read=5_000, estimated_rows=5_000, deep_rows=5_000)
    referral = stats.key("referral_source")
    assert referral is not None
    assert 0.77 <= stats.share(referral) <= 0.83
    assert (referral.dominant_type, referral.type_share) == ("string", 1.0)
    assert referral.distinct_in_sample == referral.distinct_estimate == len(seed.REFERRAL_SOURCES)
    language = stats.key("preferred_language")
    assert language is not None and 0.37 <= stats.share(language) <= 0.43
    size = stats.key("household.size")
    assert size is not None and size.segments == ("household", "size") and size.dominant_type == "integer"
    budget = stats.key("budget")
    assert budget is not None and budget.dominant_type == "number" and budget.type_share == 1.0


def test_mixed_and_sparse_keys(report: UsageReport) -> None:
    usage = report.column("leads", "custom_fields")
    assert usage is not None
    legacy = usage.stats.key("legacy_id")
    assert legacy is not None
    assert usage.stats.share(legacy) < 0.05
    assert {t.type for t in legacy.types} == {"string", "integer"}
    assert legacy.type_share < 0.9
    advice = usage.advice_for("legacy_id")
    assert advice is not None and advice.action is Action.LEAVE
    assert advice.reason.startswith("in 3% of rows") and advice.reason.endswith("not filtered")


def test_arrays_tags_and_communications(report: UsageReport) -> None:
    tags = report.column("leads", "tags")
    assert tags is not None
    elements = tags.stats.key("[]")
    assert elements is not None and elements.dominant_type == "string"
    assert [v.value for v in elements.top_values[:2]] == ["vip", "renewal"]  # Zipf-like: the first tags lead
    communications = report.column("leads", "communications")
    assert communications is not None
    whole = communications.stats.key("")
    assert whole is not None and whole.array_length_avg is not None
    assert 17 <= whole.array_length_avg <= 23 and whole.array_length_max == 40
    channel = communications.stats.key("[].channel")
    assert channel is not None and channel.distinct_in_sample == 5 and channel.in_array
    advice = communications.advice_for("")
    assert advice is not None and advice.action is Action.NEW_TABLE
    assert "outgrown the row" in advice.reason
    assert communications.advice_for("[].channel") is None  # keys of elements belong to the array's advice


def test_filter_evidence_from_pg_stat_statements(report: UsageReport) -> None:
    assert report.evidence.statements_available
    custom = report.evidence.column("leads", "custom_fields")
    assert custom is not None
    by_operator = {u.operator: s for s in custom.statements for u in s.uses}
    arrow = by_operator["->>"]
    assert arrow.calls == WORKLOAD and arrow.total_exec_ms > 0
    assert arrow.uses == (JsonUse(table="leads", column="custom_fields", operator="->>", path=None, clause="where"),)
    assert arrow.served_by == ()  # no expression index on the key: a sequential scan each time
    containment = by_operator["@>"]
    assert containment.calls == WORKLOAD // 5 and containment.served_by == ("leads_custom_fields_idx",)
    tags = report.evidence.column("leads", "tags")
    assert tags is not None
    (statement,) = tags.statements
    assert statement.calls == WORKLOAD // 4 and statement.served_by == ("leads_tags_idx",)
    assert statement.uses[0].path == "[]"  # `tags ? $1` asks for an element


def test_referral_source_is_a_promotion_candidate_without_a_key_index(report: UsageReport) -> None:
    """pg_stat_statements writes `custom_fields->>$2 = $1`: the column is filtered, the key is not recorded."""
    usage = report.column("leads", "custom_fields")
    assert usage is not None
    advice = usage.advice_for("referral_source")
    assert advice is not None and advice.action is Action.PROMOTE_CANDIDATE
    assert "pg_stat_statements" in advice.reason and "expression index" in advice.reason
    assert advice.suggestion == "pgevolve promote leads.custom_fields.referral_source --type text --index"
    language = usage.advice_for("preferred_language")
    assert language is not None and language.action is Action.LEAVE  # in 40% of rows: not a column


def test_promote_when_an_expression_index_counts_the_key(databases: DatabaseFactory) -> None:
    dsn = databases.create(MINIMAL_LEADS + "CREATE INDEX leads_referral_idx "
                                           "ON leads ((custom_fields->>'referral_source'));")
    seed.seed_crm(dsn, 2_000, seed=3)
    with psycopg.connect(dsn, autocommit=True) as conn:
        reset_statements(conn)
        conn.execute("SET enable_seqscan = off")  # the index must be used even on a small table
        for value in seed.REFERRAL_SOURCES * 25:
            conn.execute("SELECT count(*) FROM leads WHERE custom_fields->>'referral_source' = %s", (value,))
        conn.execute("SELECT pg_stat_force_next_flush()")  # index counters reach shared memory when idle
    wait_for_index_scans(dsn, "leads_referral_idx", 150)
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = collect_usage(conn, "public", "leads", "custom_fields")
    usage = found.column("leads", "custom_fields")
    assert usage is not None and usage.evidence is not None
    assert usage.evidence.index_scans("referral_source") >= 150
    (statement,) = usage.evidence.statements
    assert statement.calls == 150 and statement.maybe_served_by == ("leads_referral_idx",)
    advice = usage.advice_for("referral_source")
    assert advice is not None and advice.action is Action.PROMOTE
    assert re.match(r"in (79|80|81)% of rows, always a string; filtered 150 times \(index leads_referral_idx\)",
                    advice.reason)
    assert advice.suggestion == "pgevolve promote leads.custom_fields.referral_source --type text --index"
    # The index scans explain the `->> $n` calls: no other key becomes a candidate for them.
    assert usage.evidence.unexplained_calls == 0
    assert all(a.action is not Action.PROMOTE_CANDIDATE for a in usage.advice)


def test_sampling_gives_shares_close_to_the_full_read(databases: DatabaseFactory,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    dsn = databases.create(MINIMAL_LEADS)
    seed.seed_crm(dsn, 20_000, seed=2)
    with psycopg.connect(dsn, autocommit=True) as conn:
        full = collect_usage(conn, "public", "leads", "custom_fields", sample_percent=100)
        sampled = collect_usage(conn, "public", "leads", "custom_fields", sample_percent=20)
        again = collect_usage(conn, "public", "leads", "custom_fields", sample_percent=20)
        monkeypatch.setattr(stats_module, "TARGET_SAMPLE_ROWS", 5_000)
        monkeypatch.setattr(collect_module, "DEEP_SAMPLE_ROWS", 1_000)
        auto = collect_usage(conn, "public", "leads", "custom_fields")
    full_stats = full.columns[0].stats
    assert full_stats.sample.percent is None and full_stats.sample.rows_read == 20_000
    assert sampled == again  # REPEATABLE: the same blocks, the same report
    auto_sample = auto.columns[0].stats.sample
    assert auto_sample.percent is not None and 15 <= auto_sample.percent <= 35  # ~5,000 of ~20,000 rows
    assert auto_sample.deep_rows == 1_000
    for candidate in (sampled, auto):
        stats = candidate.columns[0].stats
        assert 0 < stats.sample.rows_read < 20_000
        assert {k.path for k in stats.keys} == {k.path for k in full_stats.keys}
        for key in full_stats.keys:
            other = stats.key(key.path)
            assert other is not None
            assert abs(stats.share(other) - full_stats.share(key)) < 0.04, key.path
    nested = auto.columns[0].stats.key("household.size")
    assert nested is not None and nested.sampled_rows == 1_000


def test_without_pg_stat_statements(databases: DatabaseFactory) -> None:
    dsn = databases.create("CREATE TABLE notes (id int, body jsonb);"
                           "INSERT INTO notes SELECT g, jsonb_build_object('a', g) FROM generate_series(1, 50) g;")
    steps: list[tuple[str, int, int]] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        found = collect_usage(conn, "public", progress=lambda what, done, total: steps.append((what, done, total)))
    assert not found.evidence.statements_available
    assert "CREATE EXTENSION pg_stat_statements" in found.evidence.message
    assert [s[1] for s in steps] == [0, 1, 2, 3] and all(s[2] == 3 for s in steps)
    (usage,) = found.columns
    advice = usage.advice_for("a")
    assert advice is not None and advice.action is Action.LEAVE and advice.reason.endswith("not filtered")


def test_unknown_targets_are_errors(crm: str) -> None:
    with psycopg.connect(crm, autocommit=True) as conn:
        with pytest.raises(UsageError, match="no table public.nope"):
            collect_usage(conn, "public", "nope")
        with pytest.raises(UsageError, match="has no jsonb column 'full_name'"):
            collect_usage(conn, "public", "leads", "full_name")
        with pytest.raises(UsageError, match="has no jsonb column"):
            collect_usage(conn, "public", "lead_statuses")
        with pytest.raises(UsageError, match="percentage"):
            collect_usage(conn, "public", "leads", sample_percent=0)
    with pytest.raises(UsageError, match="TABLE or TABLE.COLUMN"):
        parse_usage_target("a.b.c")


def test_render_text_and_json(report: UsageReport) -> None:
    text = render_usage(report, "text")
    assert "\x1b[" not in text  # no colour unless asked
    assert "leads.custom_fields  every row read: 5,000 rows" in text
    assert "referral_source: promote? - in 80% of rows" in text
    assert "most frequent in tags[]: vip" in text
    assert "SELECT count(*) FROM leads WHERE custom_fields->>$2 = $1" in text
    assert all(line == line.rstrip() for line in text.splitlines())
    data = json.loads(render_usage(report, "json"))
    assert render_usage(report, "json") == render_usage(report, "json")
    assert data["version"] == 1 and data["evidence"]["pg_stat_statements"] is True
    custom = next(c for c in data["columns"] if c["column"] == "custom_fields")
    referral = next(k for k in custom["keys"] if k["path"] == "referral_source")
    assert referral["advice"]["action"] == "promote_candidate"
    assert referral["types"] == {"string": referral["occurrences"]}
    assert [k["path"] for k in custom["keys"]] == sorted(k["path"] for k in custom["keys"])
    arrow = next(s for s in custom["statements"] if s["uses"][0]["operator"] == "->>")
    assert arrow["calls"] == WORKLOAD and isinstance(arrow["queryid"], str)


def test_usage_command(crm: str) -> None:
    text, code = usage_command("leads.custom_fields", database_url=crm, show_progress=False)
    assert code == 0 and text.startswith("leads.custom_fields")
    output, code = usage_command("leads.tags", database_url=crm, fmt="json", show_progress=False)
    assert code == 0 and [c["column"] for c in json.loads(output)["columns"]] == ["tags"]
    with pytest.raises(UsageError, match="text or json"):
        usage_command(None, database_url=crm, fmt="yaml")


# -- without a server -----------------------------------------------------------------------------------------


def test_json_uses_of_a_statement() -> None:
    columns = {"leads": frozenset({"custom_fields", "tags"}), "clients": frozenset({"custom_fields"})}
    query = ("SELECT l.id, l.custom_fields->>'shown' FROM leads l JOIN clients c "
             "ON c.custom_fields #>> '{household,size}' = l.custom_fields->'household'->>'size' "
             "WHERE l.tags ?| ARRAY['vip','hot'] AND l.custom_fields @> '{\"a\": {\"b\": 1}}' "
             "AND l.custom_fields @? '$.budget ? (@ > 10)' AND jsonb_extract_path_text(l.custom_fields, 'k') = $1 "
             "ORDER BY l.custom_fields->>$2")

    def use(table: str, column: str, operator: str, path: str | None, clause: str) -> JsonUse:
        return JsonUse(table=table, column=column, operator=operator, path=path, clause=clause)

    found = find_json_uses(query, columns)
    assert found is not None
    assert sorted(found, key=repr) == sorted([
        use("leads", "custom_fields", "->>", "shown", "select"),
        use("leads", "tags", "?|", "vip", "where"),
        use("leads", "tags", "?|", "hot", "where"),
        use("leads", "custom_fields", "@>", "a.b", "where"),
        use("leads", "custom_fields", "@?", "budget", "where"),
        use("leads", "custom_fields", "jsonb_extract_path_text", "k", "where"),
        use("leads", "custom_fields", "->>", None, "order by"),
        use("clients", "custom_fields", "#>>", "household.size", "join"),
        use("leads", "custom_fields", "->>", "household.size", "join"),
    ], key=repr)
    assert find_json_uses("SELECT FROM leads WHERE custom_fields->>", columns) is None  # truncated text
    assert find_json_uses("SELECT 1 FROM other WHERE custom_fields->>'a' = 'b'", columns) == []
    # DDL is recorded by pg_stat_statements too, with its literals, but its WHERE filters nothing that runs.
    assert find_json_uses("CREATE INDEX ON leads ((custom_fields->>'a')) WHERE custom_fields ? 'a'", columns) == []
    assert find_json_uses("DECLARE c CURSOR FOR SELECT 1 FROM leads WHERE custom_fields->>'a' = 'b'", columns) == [
        use("leads", "custom_fields", "->>", "a", "where")]


def test_index_key_paths() -> None:
    assert index_key_path("(custom_fields ->> 'referral_source'::text)") == ("custom_fields", "->>", "referral_source")
    assert index_key_path("((custom_fields -> 'household'::text) ->> 'size'::text)") == (
        "custom_fields", "->>", "household.size")
    assert index_key_path("(custom_fields -> 'we.ird'::text)") == ("custom_fields", "->", '"we.ird"')
    assert index_key_path("custom_fields") is None
    assert index_key_path("lower(email)") is None


def test_paths_round_trip() -> None:
    for segments in [("referral_source",), ("household", "size"), ("[]", "channel"), ("we.ird", "[]"), ()]:
        assert path_segments(format_path(segments)) == segments
    assert format_path(("we.ird", "x y")) == '"we.ird"."x y"'


def test_distinct_estimate_and_sample_choice() -> None:
    assert estimate_distinct(6, 0, 1_000, 100_000) == 6  # a few values seen many times: all of them seen
    assert estimate_distinct(1_000, 1_000, 1_000, 100_000) == 100_000  # every value unique: unique in the table
    assert estimate_distinct(50, 10, 50, 50) == 50  # every row read: exact
    assert choose_sample_percent(50_000, None) is None
    assert choose_sample_percent(1_000_000, None) == pytest.approx(10.0)
    assert choose_sample_percent(1_000_000, 100) is None
    assert choose_sample_percent(10, 5) == 5


def _stats(*keys: KeyStats, rows: int = 1_000) -> ColumnStats:
    sample = Sample(percent=None, seed=0, rows_read=rows, estimated_rows=rows, deep_rows=rows)
    return ColumnStats(table="leads", column="custom_fields", sample=sample, rows_nonnull=rows,
                       avg_stored_bytes=100.0, keys=keys)


def _key(path: str, rows: int, **types: int) -> KeyStats:
    return KeyStats(path=path, rows=rows, sampled_rows=1_000, occurrences=sum(types.values()),
                    types=tuple(TypeCount(type=t, count=n) for t, n in types.items()), avg_bytes=10.0)


def _evidence(*statements: tuple[str, str | None, int]) -> ColumnEvidence:
    return ColumnEvidence(table="leads", column="custom_fields", indexes=(), statements=tuple(
        StatementEvidence(queryid=i, query="q", calls=calls, total_exec_ms=1.0, rows=1, served_by=(),
                          uses=(JsonUse(table="leads", column="custom_fields", operator=op, path=path,
                                        clause="where"),))
        for i, (op, path, calls) in enumerate(statements)))


def test_advice_thresholds() -> None:
    stats = _stats(_key("dense", 900, string=900), _key("sparse", 100, string=100),
                   _key("mixed", 900, string=600, integer=300), _key("household", 600, object=600),
                   _key("household.size", 600, integer=600), _key("quiet", 900, integer=900))
    evidence = _evidence(("->>", "dense", 500), ("->>", "sparse", 500), ("->>", "mixed", 500),
                         ("->>", "household.size", 500), ("->>", "quiet", 99))
    advice = {a.path: a for a in advise_column(stats, evidence)}
    assert advice["dense"].action is Action.PROMOTE
    assert advice["sparse"].action is Action.INDEX
    assert advice["sparse"].suggestion == ('under indexes: of table leads: - { expression: '
                                           '"custom_fields->>\'sparse\'", where: "custom_fields ? \'sparse\'" }')
    assert advice["mixed"].action is Action.INDEX and "mixed types" in advice["mixed"].reason
    assert advice["household.size"].action is Action.INDEX and "nested" in advice["household.size"].reason
    assert advice["household.size"].suggestion is not None
    assert "custom_fields->'household'->>'size'" in advice["household.size"].suggestion
    assert advice["household"].action is Action.LEAVE
    assert advice["quiet"].action is Action.LEAVE and "fewer than 100" in advice["quiet"].reason
    containment = _evidence(("@>", "sparse", 500))
    gin = next(a for a in advise_column(stats, containment) if a.path == "sparse")
    assert gin.action is Action.INDEX and "using: gin" in (gin.suggestion or "")
    indexed = replace(containment, indexes=(KeyIndex(
        table="leads", name="leads_sparse_idx", column="custom_fields", path="sparse", operator="->>",
        method="btree", opclass="text_ops", scans=0, partial=False, valid=True),))
    kept = next(a for a in advise_column(stats, indexed) if a.path == "sparse")
    assert kept.action is Action.LEAVE and "already indexed in place" in kept.reason


def test_seed_is_deterministic(databases: DatabaseFactory) -> None:
    digests = []
    for _ in range(2):
        dsn = databases.create(MINIMAL_LEADS)
        seeded = seed.seed_crm(dsn, 300, seed=7)
        assert seeded.columns == ("full_name", "custom_fields", "tags")
        with psycopg.connect(dsn) as conn:
            row = conn.execute("SELECT md5(string_agg(full_name || custom_fields::text || tags::text, '|' "
                               "ORDER BY id)) FROM leads").fetchone()
        digests.append(row[0] if row else None)
    assert digests[0] == digests[1] and digests[0] is not None
