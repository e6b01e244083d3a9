import psycopg


def test_fresh_database_is_empty_and_real(db: str) -> None:
    with psycopg.connect(db) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
    assert int(version) >= 150000
    assert tables == 0
