"""Issue 9: no single YAML file can hang pgevolve, exhaust the machine, or end in a traceback.

Each bomb runs ``pgevolve validate`` in a child process that reports its own peak memory
and CPU time: it must exit 1 with a clear message at file:line:col, within 5 s of CPU
and under 200 MB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from pgevolve.errors import SpecError
from pgevolve.source import load_project
from pgevolve.source.yaml_limits import MAX_FILE_BYTES

CPU_SECONDS = 5.0
PEAK_MB = 200
_RUNNER = """
import json, resource, sys, time
from pgevolve.cli import app
try:
    app(sys.argv[2:], prog_name="pgevolve")
    code = 0
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else 1
usage = resource.getrusage(resource.RUSAGE_SELF)
peak_kb = usage.ru_maxrss
try:
    with open("/proc/self/status") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration):
    pass
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "peak_kb": peak_kb, "cpu": usage.ru_utime + usage.ru_stime}, out)
"""
# Linux carries the parent's peak into ru_maxrss across fork and exec (exec_mmap records the old
# memory's high-water mark), so a child of a pytest process that has grown to 300 MB reports 300 MB
# whatever it did. VmHWM is the high-water mark of the child's own memory since exec.


def run_measured(tmp_path: Path, *args: str) -> tuple[dict[str, float], str]:
    report = tmp_path / "rusage.json"
    env = {**os.environ, "PGEVOLVE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", _RUNNER, str(report), *args], capture_output=True, text=True,
                          timeout=120, env=env)
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert done.returncode in (0, 1), (done.returncode, output)  # a crash (segfault: -11) fails here
    return json.loads(report.read_text()), output


def project(root: Path, table_yaml: str | bytes, *, shape: str | None = None) -> Path:
    schema = root / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    target = schema / "tables" / "t.yaml"
    target.write_bytes(table_yaml if isinstance(table_yaml, bytes) else table_yaml.encode())
    if shape is not None:
        (schema / "shapes").mkdir(exist_ok=True)
        (schema / "shapes" / "s.yaml").write_text(shape)
    return schema


TABLE = "table: t\ncolumns:\n  id: { type: integer, primary_key: true }\n"


def alias_bomb() -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return TABLE + "\n".join(lines) + "\ndescription: *a9\n"


def merge_bomb() -> str:
    lines = ["m0: &m0 {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1}"]
    lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 9)}], z{i}: 1}}" for i in range(1, 10)]
    return TABLE + "\n".join(lines) + "\n"


def deep(levels: int) -> str:
    return TABLE.replace("primary_key: true }", "primary_key: true, default: " + "[" * levels + "]" * levels + " }")


def many_columns(count: int) -> str:
    return TABLE + "".join(f"  c{i}: {{ type: text }}\n" for i in range(count))


BOMBS: dict[str, tuple[Callable[[], str | bytes], str]] = {
    "alias bomb (9 levels x 9)": (alias_bomb, "aliases (*name) and merge keys (<<) here expand to more than"),
    "merge bomb (9 levels x 9)": (merge_bomb, "the merge keys (<<) of this mapping expand to more than"),
    "recursive merge": (lambda: TABLE + "m: &m {<<: *m, a: 1}\n", "t.yaml:"),
    "recursive alias": (lambda: TABLE + "a: &a [1, *a]\n", "an alias refers back to the node that contains it"),
    "500 levels of [": (lambda: deep(500), "nest deeper than 64 levels"),
    "100,000 levels of [": (lambda: deep(100_000), "nest deeper than 64 levels"),
    "escaped surrogate pair": (lambda: 'table: "\\ud83d\\ude00"\ncolumns:\n  id: { type: integer }\n',
                               "escaped UTF-16 surrogate"),
    "NUL in a name": (lambda: TABLE + '  "a\\0b": { type: text }\n', "NUL character"),
    "1 MB, 40,000 columns": (lambda: many_columns(40_000), "entries; pgevolve reads at most 10,000"),
    "2,000 columns": (lambda: many_columns(2_000), "has 2,001 columns; PostgreSQL allows at most 1,600"),
    "file over the size limit": (lambda: TABLE + "description: " + "x" * (MAX_FILE_BYTES + 1) + "\n",
                                 f"pgevolve reads files of at most {MAX_FILE_BYTES:,} bytes"),
    "invalid UTF-8": (lambda: TABLE.encode() + b"description: \xff\xfe\n", "not valid UTF-8"),
    "a CHECK of 40,000 terms": (lambda: TABLE + '  n: { type: integer, check: "n > 0' + " AND n > 0" * 40_000 + '" }\n',
                                "characters long; pgevolve reads expressions of at most 10,000"),
    "a type of 200,000 characters": (lambda: TABLE + '  n: { type: "numeric(' + "1," * 100_000 + '1)" }\n',
                                     "is no type pgevolve reads"),
    "an integer of 500,000 digits": (lambda: TABLE + "  n: { type: integer, default: 1" + "0" * 500_000 + " }\n",
                                     "t.yaml:4:32: error: the number has more than 1,000 digits"),
    "a hexadecimal integer of 5,000 digits": (lambda: TABLE + "description: 0x" + "f" * 5_000 + "\n",
                                              "t.yaml:4:14: error: the number has more than 1,000 digits"),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_bomb_exits_1_fast_and_small(name: str, tmp_path: Path) -> None:
    make, message = BOMBS[name]
    schema = project(tmp_path, make())
    usage, output = run_measured(tmp_path, "validate", "--schema-dir", str(schema))
    assert usage["code"] == 1, output
    assert message in output, output
    assert "t.yaml" in output
    assert usage["cpu"] < CPU_SECONDS, f"{name}: {usage['cpu']:.1f} s of CPU"
    assert usage["peak_kb"] < PEAK_MB * 1024, f"{name}: {usage['peak_kb'] / 1024:.0f} MB"


def _tables_is_a_file(schema: Path, outside: Path) -> None:
    (schema / "tables" / "t.yaml").unlink()
    (schema / "tables").rmdir()
    (schema / "tables").write_text(TABLE)


def _dangling_symlink(schema: Path, outside: Path) -> None:
    (schema / "tables" / "u.yaml").symlink_to(outside / "nowhere.yaml")


def _link_out_of_the_schema_directory(schema: Path, outside: Path) -> None:
    (outside / "pgpass").write_text("db.internal:5432:*:deploy:s3cr3t-from-the-ci-machine\n")
    (schema / "tables" / "u.yaml").symlink_to(outside / "pgpass")


def _inf_in_a_shape(schema: Path, outside: Path) -> None:
    (schema / "shapes").mkdir()
    (schema / "shapes" / "s.yaml").write_text("shape: s\nproperties:\n  n: { type: number, minimum: .inf }\n")
    (schema / "tables" / "t.yaml").write_text(TABLE + "  data: { type: jsonb, shape: s }\n")


# Each: how the project is spoiled, what the message says, and where (file[:line:col]) it points.
PROJECT_BOMBS: dict[str, tuple[Callable[[Path, Path], None], str, str]] = {
    "tables is a file": (_tables_is_a_file, "'tables' is not a directory", "schema/tables: error:"),
    "dangling symlink in tables/": (_dangling_symlink, "a symbolic link to nothing: it is not read",
                                    "tables/u.yaml: error:"),
    "link out of the schema directory": (_link_out_of_the_schema_directory,
                                         "a symbolic link to a file outside the schema directory",
                                         "tables/u.yaml: error:"),
    ".inf in a shape": (_inf_in_a_shape, "the number must be finite, not infinity or NaN", "shapes/s.yaml:3:31:"),
}


@pytest.mark.parametrize("name", list(PROJECT_BOMBS))
def test_a_spoiled_project_exits_1_fast_and_small(name: str, tmp_path: Path) -> None:
    spoil, message, where = PROJECT_BOMBS[name]
    schema = project(tmp_path, TABLE)
    outside = tmp_path / "outside"
    outside.mkdir()
    spoil(schema, outside)
    for command in (["validate"], ["generate", "--out", str(tmp_path / "g")]):
        usage, output = run_measured(tmp_path, *command, "--schema-dir", str(schema))
        assert usage["code"] == 1, output
        assert message in output and where in output, output
        assert "s3cr3t" not in output, output
        assert usage["cpu"] < CPU_SECONDS and usage["peak_kb"] < PEAK_MB * 1024, (name, usage)


PROMOTABLE = TABLE + "  custom_fields: { type: custom_fields }\n"


@pytest.mark.parametrize("name", ["alias bomb (9 levels x 9)", "merge bomb (9 levels x 9)", "100,000 levels of ["])
def test_promote_reads_the_file_with_the_same_limits(name: str, tmp_path: Path) -> None:
    """promote edits the file with ruamel.yaml, which has no limits: pgevolve's reader sees it first (was: a hang)."""
    make, message = BOMBS[name]
    schema = project(tmp_path, PROMOTABLE + make()[len(TABLE):])
    usage, output = run_measured(tmp_path, "promote", "t.custom_fields.k", "--type", "text", "--dry-run",
                                 "--schema-dir", str(schema))
    assert usage["code"] == 1 and "t.yaml:" in output and "cannot edit the file: " in output, output
    assert usage["cpu"] < CPU_SECONDS and usage["peak_kb"] < PEAK_MB * 1024, (name, usage)


def test_the_owned_schema_is_read_with_the_same_limits(tmp_path: Path) -> None:
    from pgevolve.jsonb.commands import owned_schema

    schema = project(tmp_path, TABLE)
    (schema / "pgevolve.yaml").write_text(alias_bomb().replace("table: t", "schema: app"))
    started = time.process_time()
    assert owned_schema(schema) == "public"  # unreadable, as before: usage then says what it finds
    assert time.process_time() - started < CPU_SECONDS
    (schema / "pgevolve.yaml").write_text("schema: app\n")
    assert owned_schema(schema) == "app"


def test_a_big_file_elsewhere_under_schema_is_never_read(tmp_path: Path) -> None:
    """The compile cache's key reads only what load_project reads, within its limits (was: every *.yaml whole)."""
    schema = project(tmp_path, TABLE)
    (schema / "fixtures").mkdir()
    with (schema / "fixtures" / "rows.yaml").open("wb") as big:
        big.truncate(400 * 1024 * 1024)  # sparse: 400 MB of zeros, were they read
    (schema / "tables" / "big.yaml").symlink_to(schema / "fixtures" / "rows.yaml")
    usage, output = run_measured(tmp_path, "generate", "--schema-dir", str(schema), "--out", str(tmp_path / "g"))
    assert usage["code"] == 1 and "tables/big.yaml: error: the file is 419,430,400 bytes" in output, output
    assert usage["cpu"] < CPU_SECONDS and usage["peak_kb"] < PEAK_MB * 1024, usage
    (schema / "tables" / "big.yaml").unlink()
    usage, output = run_measured(tmp_path, "generate", "--schema-dir", str(schema), "--out", str(tmp_path / "g"))
    assert usage["code"] == 0, output
    assert usage["cpu"] < CPU_SECONDS and usage["peak_kb"] < PEAK_MB * 1024, usage


def test_the_cache_key_knows_the_reader_limits() -> None:
    from pgevolve.source import early
    from pgevolve.source.load import MAX_FILES

    assert early._MAX_SOURCE_BYTES == MAX_FILE_BYTES
    assert early._MAX_SOURCE_FILES >= 2 * MAX_FILES


def test_a_top_level_value_is_shown_cut(tmp_path: Path) -> None:
    schema = project(tmp_path, "x" * 500_000 + "\n")
    usage, output = run_measured(tmp_path, "validate", "--schema-dir", str(schema))
    assert usage["code"] == 1 and "t.yaml:1:1: error: expected a mapping" in output, output
    assert len(output) < 2_000, len(output)


@pytest.mark.parametrize(("value", "message"), [
    ("!!float abc", "'abc' is not a value of the tag !!float"),
    ("!!int abc", "'abc' is not a value of the tag !!int"),
    ("!!int 0x", "'0x' is not a value of the tag !!int"),
    ('!!float ""', "'' is not a value of the tag !!float"),
    ("!!bool maybe", "'maybe' is not a value of the tag !!bool"),
    ("1" * 4_301, "the number has more than 1,000 digits"),  # Python converts at most 4,300 (CVE-2020-10735)
    ("0x" + "f" * 1_000, "the number has more than 1,000 digits"),  # converts, but cannot be printed
])
def test_a_value_its_tag_cannot_read_is_an_error(value: str, message: str, tmp_path: Path) -> None:
    schema = project(tmp_path, TABLE.replace("columns:", f"description: {value}\ncolumns:"))
    with pytest.raises(SpecError) as raised:
        load_project(schema)
    problem = raised.value.problems[0]
    assert (problem.line, problem.column) == (2, 14) and problem.message.startswith(message), problem


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1.0e+400"])
def test_non_finite_numbers_are_rejected(value: str, tmp_path: Path) -> None:
    shape = f"shape: s\nproperties:\n  n: {{ type: number, minimum: {value}, index: true }}\n"
    schema = project(tmp_path, TABLE + "  data: { type: jsonb, shape: s }\n", shape=shape)
    with pytest.raises(SpecError) as raised:
        load_project(schema)
    assert [p.message for p in raised.value.problems] == ["the number must be finite, not infinity or NaN"]
    assert raised.value.problems[0].file.endswith("s.yaml") and raised.value.problems[0].line == 3


def test_a_non_finite_default_is_a_value(tmp_path: Path) -> None:
    schema = project(tmp_path, TABLE + "  r: { type: double precision, default: .inf }\n")
    assert load_project(schema).tables[0].column("r").default == float("inf")  # type: ignore[union-attr]


def test_tables_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    schema.mkdir()
    (schema / "pgevolve.yaml").write_text("schema: public\n")
    (schema / "tables").write_text("table: t\n")
    with pytest.raises(SpecError) as raised:
        load_project(schema)
    assert "'tables' is not a directory" in raised.value.problems[0].message


@pytest.mark.parametrize("kind", ["dangling symlink", "directory", "fifo"])
def test_a_tables_entry_that_is_no_file_is_an_error(kind: str, tmp_path: Path) -> None:
    schema = project(tmp_path, TABLE)
    entry = schema / "tables" / "u.yaml"
    match kind:
        case "dangling symlink":
            entry.symlink_to(tmp_path / "nowhere.yaml")
        case "directory":
            entry.mkdir()
        case "fifo":
            os.mkfifo(entry)  # reading it would wait forever
    with pytest.raises(SpecError) as raised:
        load_project(schema)
    assert raised.value.problems[0].file == str(entry)
    assert "it is not read" in raised.value.problems[0].message


def test_a_shape_name_cannot_write_outside_generated(tmp_path: Path) -> None:
    schema = project(tmp_path, TABLE, shape="shape: ../../escaped\nproperties:\n  a: { type: string }\n")
    usage, output = run_measured(tmp_path, "generate", "--schema-dir", str(schema), "--out",
                                 str(tmp_path / "generated"))
    assert usage["code"] == 1 and "a shape name is also a file name" in output, output
    assert not list(tmp_path.rglob("escaped*"))


def test_limits_are_documented() -> None:
    doc = (Path(__file__).resolve().parent.parent / "docs" / "format.md").read_text()
    for figure in (f"{MAX_FILE_BYTES:,}", "64", "10,000", "1,600"):
        assert figure in doc, figure
