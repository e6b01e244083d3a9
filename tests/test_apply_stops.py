"""Every way an apply stops, through the CLI: refusals before the question, failures that name their step
and statement, Ctrl-C, SIGKILL, a CONCURRENTLY build that times out; and the history row each leaves."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

LEADS = """\
table: leads
columns:
  id:       { type: integer, primary_key: true }
  email:    { type: text }
  nickname: { type: text }
"""


def write_schema(root: Path, leads: str = LEADS) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables" / "leads.yaml").write_text(leads)
    return schema


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "pgevolve", *args]


def interruptible() -> None:
    """In the child, before exec: Ctrl-C back to its default. A test run started in the background (a
    shell's `&`, some CI runners, pytest-xdist workers) ignores SIGINT, and a process that inherits the
    ignored signal keeps ignoring it, as Unix intends (Python then installs no KeyboardInterrupt)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(*args: str) -> tuple[int, str]:
    done = subprocess.run(command(*args), capture_output=True, text=True, timeout=180, env=dict(os.environ))
    out = done.stdout + done.stderr
    assert "Traceback" not in out, out
    return done.returncode, out


def in_terminal(args: list[str], answer: str | None) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal (stdin is a tty); type ``answer`` at the "Apply these steps?" question
    ("^C": interrupt it there)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command(*args), stdin=follower, stdout=follower, stderr=follower, env=dict(os.environ),
                            preexec_fn=interruptible)
    os.close(follower)
    output, answered = b"", False
    deadline = time.monotonic() + 600  # generous: CI machines can be loaded
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            output += data
            if answer is not None and not answered and b"Apply th" in output:
                if answer == "^C":
                    proc.send_signal(signal.SIGINT)
                else:
                    os.write(leader, answer.encode() + b"\r")
                answered = True
        elif proc.poll() is not None:
            break
    proc.wait(timeout=120)
    os.close(leader)
    text = output.decode(errors="replace")
    assert "Traceback" not in text, text
    return proc.returncode, text


def history(dsn: str) -> list[tuple[str, str | None]]:
    with psycopg.connect(dsn) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT outcome, error FROM pgevolve.history ORDER BY id")]


def columns(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attnum > 0"
                            " AND NOT attisdropped ORDER BY attnum").fetchall()
    return [r[0] for r in rows]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGEVOLVE_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture
def leads_db(db: str, tmp_path: Path) -> tuple[str, Path]:
    schema = write_schema(tmp_path)
    code, out = run("apply", "--schema-dir", str(schema), "--database-url", db, "--yes")
    assert code == 0, out
    with psycopg.connect(db) as conn:
        conn.execute("INSERT INTO leads SELECT g, 'u' || g || '@x.com' FROM generate_series(1, 20) g")
    return db, schema


def _wait_for_lock_wait(dsn: str) -> int:
    """The pid of the apply's session once it waits for a lock."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for _ in range(600):
            row = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgevolve'"
                               " AND wait_event_type = 'Lock'").fetchone()
            if row:
                return int(row[0])
            time.sleep(0.05)
    raise AssertionError("the apply never waited for its lock")


@pytest.mark.long
def test_refusals_come_before_the_question(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    apply = ["apply", "--schema-dir", str(schema), "--database-url", dsn]
    # Destructive: refused with the reason, on a terminal and without one; never asked.
    write_schema(tmp_path, LEADS.replace("  nickname: { type: text }\n", ""))
    for code, out in (in_terminal(apply, answer="y"), run(*apply)):
        assert code == 3, out
        assert "--allow-destructive" in out and "Apply th" not in out and "no terminal" not in out, out
    # Rows that would break a step: counted and refused before the question.
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET email = NULL WHERE id <= 2")
    write_schema(tmp_path, LEADS.replace("email:    { type: text }", "email:    { type: text, nullable: false }"))
    code, out = in_terminal(apply, answer="y")
    assert code == 3 and "2 rows where email is NULL" in out and "Apply th" not in out, out
    # A blocked plan: the view is named, nothing asked.
    with psycopg.connect(dsn) as conn:
        conn.execute("UPDATE leads SET email = 'x' WHERE email IS NULL")
        conn.execute("CREATE VIEW lead_nicknames AS SELECT nickname FROM leads")
    write_schema(tmp_path, LEADS.replace("  nickname: { type: text }\n", ""))
    code, out = in_terminal([*apply, "--allow-destructive"], answer="y")
    assert code == 3 and "lead_nicknames" in out and "Apply th" not in out, out
    # Nothing refuses: now the question; "n" changes nothing, "y" applies.
    write_schema(tmp_path, LEADS + "  score: { type: integer }\n")
    code, out = in_terminal(apply, answer="n")
    assert code == 3 and "Apply this step?" in out and "not confirmed" in out, out
    assert "score" not in columns(dsn)
    code, out = in_terminal(apply, answer="^C")
    assert code == 130 and "interrupted before any step ran; nothing was changed" in out, out
    code, out = in_terminal(apply, answer="y")
    assert code == 0 and "Applied 1 step " in out, out
    assert [o for o, _ in history(dsn)] == ["applied", "refused", "refused", "refused", "refused", "refused",
                                            "interrupted", "applied"]


@pytest.mark.long
def test_a_failed_step_is_named_with_its_statement_and_what_stays(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    with psycopg.connect(dsn) as conn:  # a DBA's guard: no index builds today
        conn.execute("CREATE FUNCTION no_indexes() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "IF tg_tag = 'CREATE INDEX' THEN RAISE EXCEPTION 'indexes are frozen today'; END IF; END $$")
        conn.execute("CREATE EVENT TRIGGER no_indexes ON ddl_command_start EXECUTE FUNCTION no_indexes()")
    write_schema(tmp_path, LEADS + "  score: { type: integer }\nindexes:\n  - columns: [score]\n")
    code, out = run("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")
    assert code == 1, out
    assert "step 2 of 2 (Creates index `leads_score_idx` on `leads` (`score`)) failed: " in out, out
    assert "indexes are frozen today" in out
    assert 'statement: CREATE INDEX CONCURRENTLY "leads_score_idx" ON "public"."leads"' in out, out
    assert "Step 1 of 2 is committed" in out and "resumable" in out, out
    outcome, error = history(dsn)[-1]
    assert outcome == "failed" and error is not None and "step 2 of 2" in error and "CREATE INDEX" in error
    assert "score" in columns(dsn)  # transaction 1 committed
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP EVENT TRIGGER no_indexes")
    code, out = run("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")
    assert code == 0 and "Applied 1 step " in out, out  # the next apply finishes the plan


@pytest.mark.long
def test_ctrl_c_is_reported_recorded_and_resumable(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS + "  score: { type: integer }\n")
    with psycopg.connect(dsn) as blocker:
        blocker.execute("LOCK TABLE leads IN ACCESS SHARE MODE")
        proc = subprocess.Popen(command("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes",
                                        "--lock-timeout", "60s"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ),
                                preexec_fn=interruptible)
        _wait_for_lock_wait(dsn)
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 130, out
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out
    assert "interrupted during step 1 of 1" in out and "No step was committed" in out and "resumable" in out, out
    outcome, error = history(dsn)[-1]
    assert outcome == "interrupted" and error is not None and "step 1 of 1" in error
    assert "score" not in columns(dsn)
    assert run("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")[0] == 0
    assert "score" in columns(dsn)


@pytest.mark.long
def test_a_killed_apply_is_marked_interrupted_by_the_next(leads_db: tuple[str, Path], tmp_path: Path) -> None:
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS + "  score: { type: integer }\n")
    with psycopg.connect(dsn) as blocker:
        blocker.execute("LOCK TABLE leads IN ACCESS SHARE MODE")
        proc = subprocess.Popen(command("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes",
                                        "--lock-timeout", "60s"),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=dict(os.environ))
        _wait_for_lock_wait(dsn)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert [o for o, _ in history(dsn)] == ["applied", "running"]
    code, out = run("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")
    assert code == 0, out
    rows = history(dsn)
    assert [o for o, _ in rows] == ["applied", "interrupted", "applied"], rows
    assert "ended without recording how" in (rows[1][1] or "")
    code, out = run("history", "--database-url", dsn)
    assert code == 0 and "interrupted" in out and "running" not in out, out


@pytest.mark.long
def test_a_concurrent_build_that_times_out_leaves_no_invalid_index(leads_db: tuple[str, Path],
                                                                   tmp_path: Path) -> None:
    """CREATE INDEX CONCURRENTLY waits for every older snapshot; on lock timeout its INVALID index is dropped."""
    dsn, schema = leads_db
    write_schema(tmp_path, LEADS + "indexes:\n  - columns: [email]\n")
    with psycopg.connect(dsn, application_name="long-report") as reader:
        reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        reader.execute("SELECT 1")  # holds a snapshot, and no lock on leads
        code, out = run("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes",
                        "--lock-timeout", "300ms", "--lock-retries", "2")
        pid = reader.info.backend_pid
    assert code == 1, out
    assert "lock not granted within 300ms after 2 tries" in out and f"pid {pid}" in out and "long-report" in out
    assert "CONCURRENTLY build waits" in out, out
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM pg_class WHERE relname = 'leads_email_idx'").fetchone() == (0,)
    assert history(dsn)[-1][0] == "failed"
    assert run("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")[0] == 0


def test_apply_help_says_what_is_atomic_and_what_is_resumable() -> None:
    code, out = run("apply", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "Each transaction is all-or-nothing; the plan as a whole is not" in text, out
    assert "The plan is resumable: the next apply finishes it." in text and "half-done" not in text, out
