"""Hostile schema projects for the security fuzz (``bench/fuzz.py``, ``tests/test_security_fuzz.py``).

A valid project that uses every feature is mutated the way a hostile or careless pull
request would: wrong types, hostile strings in every string field and key (SQL that
tries to end the fragment it sits in, dollar-quote tags, backslashes, newlines, escape
sequences, NUL, lone surrogates, bidi overrides, functions that reach the server),
unicode, huge and non-finite numbers, deep nesting, huge values, and, on the text,
aliases, merge keys, explicit tags, tabs, stray bytes and truncation; now and then a tables/ entry that
is a directory or a symbolic link (to nothing, out of the project). Deterministic for a seed.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

CANARY = "bystander.canary"
SERVER_FILE = "/tmp/pgevolve_fuzz_pwned"
LEAK_MARK = "root:x:0:0"  # the first line of /etc/passwd, which a tables/ entry may link to

BASE: dict[str, dict[str, Any]] = {
    "pgevolve.yaml": {"schema": "public", "enums": {"mood": ["happy", "sad"]}},
    "tables/users.yaml": {
        "table": "users",
        "columns": {"id": {"type": "serial", "primary_key": True}, "name": {"type": "text", "nullable": False}},
    },
    "tables/leads.yaml": {
        "table": "leads",
        "description": "People who may become clients.",
        "columns": {
            "id": {"type": "integer", "primary_key": True},
            "email": {"type": "varchar(320)", "unique": True, "collation": "C", "description": "Where we write."},
            "status": {"type": "text", "enum": ["new", "won"], "default": "'new'"},
            "mood": {"type": "mood"},
            "score": {"type": "numeric(12,2)", "check": "score >= 0", "default": 0},
            "data": {"type": "jsonb", "shape": "vehicle"},
            "custom_fields": {"type": "custom_fields"},
            "tags": {"type": "tags"},
            "created_at": {"type": "timestamptz", "nullable": False, "default": "now()"},
            "owner_id": {"type": "integer", "references": "users.id", "on_delete": "set null"},
            "email_lower": {"type": "text", "generated": "lower(email)"},
            "referral": {"type": "text", "promoted_from": "custom_fields.referral"},
        },
        "checks": [{"expression": "score < 1000000", "name": "leads_score_max"}],
        "indexes": [
            {"columns": ["email"], "opclass": "text_pattern_ops", "where": "email IS NOT NULL",
             "description": "Prefix search."},
            {"expression": "lower(email)", "unique": True},
            {"columns": ["tags"], "using": "gin", "opclass": "jsonb_path_ops"},
            {"keys": [{"column": "email", "opclass": "text_pattern_ops", "desc": True, "nulls": "last"}, "id"],
             "include": ["score"], "name": "leads_email_keys_idx"},
        ],
        "storage": {"fillfactor": 90},
    },
    "shapes/vehicle.yaml": {
        "shape": "vehicle",
        "enforce": "strict",
        "properties": {
            "vin": {"type": "string", "pattern": "^[A-Z0-9]{17}$", "index": True},
            "year": {"type": "integer", "minimum": 1900, "maximum": 2100},
            "usage": {"type": "string", "enum": ["commute", "business"]},
            "owner": {"type": "object", "properties": {"name": {"type": "string", "maxLength": 40}}},
        },
        "required": ["vin"],
    },
}


def hostile_strings(dsn_words: str = "dbname=postgres") -> list[str]:
    """Strings that try to end the fragment they sit in, or to reach the server, the terminal or the parser."""
    drop = f"DROP TABLE {CANARY}"
    return [
        f"'; {drop}; --", f'"; {drop}; --', f"x); {drop}; --", f"1); {drop}; --", f"*/ {drop}; /*",
        f"$pgevolve$; {drop}; --", f"$pgevolve1$; {drop}; --", f"\\'; {drop}; --", f"\\\\'); {drop}; --",
        f"text_ops); COPY (SELECT 1) TO '{SERVER_FILE}'; {drop}; CREATE INDEX ON t (s",
        f"numeric('10), x int); {drop}; CREATE TEMP TABLE z (y numeric(10')",
        f"\"C\", x int); COPY (SELECT 1) TO '{SERVER_FILE}'; CREATE TABLE z (y text",
        f"1); COPY (SELECT 1) TO PROGRAM 'touch {SERVER_FILE}'; --",
        f"lo_export(1, '{SERVER_FILE}') > 0", "pg_read_file('/etc/passwd') IS NOT NULL",
        f"bystander.dblink_exec('{dsn_words}', '{drop}') IS NOT NULL",
        f"query_to_xml('SELECT bystander.dblink_exec(''{dsn_words}'', ''{drop}'')', true, true, '')::text",
        "pg_sleep(100) IS NULL", "set_config('search_path', 'x', false) IS NOT NULL", "(SELECT 1)",
        f"\n{drop};\n--", "v\r\nDROP", "\x1b[2J\x1b]0;owned\x07", "a\u202eb", "a\u2028b", "\x85", "\0", "a\0b",
        "\ud83d", "\ud83d\ude00", "é" * 40, "😀" * 20, "a" * 70, "", " ", "'", '"', "\\", "%s", "%(x)s", "{}",
        "[", "&a", "*a", "<<", "~", "on", "yes", "null", ".inf", "1e400", "now()", "NULL", "1/0", "text",
        "integer[]", "geometry(Point, 4326)", "numeric(1000,2)", "varchar(0)", "public.leads", "users.id",
        "custom_fields.referral", "custom_fields.$pgevolve$", "C", "en_US.utf8", '"pg_catalog"."C"', "btree",
        "strict", "set null", "always",
    ]


def wrong_values(rng: random.Random) -> list[Any]:
    return [None, True, False, 0, -1, 2**63, 10**400, 1.5, float("inf"), float("-inf"), float("nan"), [], {},
            ["a", "b"], {"a": 1}, [[[[1]]]], "x" * rng.choice([1, 64, 10_000]), list(range(rng.choice([3, 20_000])))]


def _paths(tree: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*path, index))
    return found


def _parent(tree: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        tree = tree[step]
    return tree


def mutate_tree(files: dict[str, Any], rng: random.Random, hostile: list[str]) -> None:
    """One structural mutation of one file's data, in place."""
    name = rng.choice(sorted(files))
    paths = [p for p in _paths(files[name]) if p]
    if not paths:
        return
    strings = [p for p in paths if isinstance(_parent(files[name], p)[p[-1]], str)]
    path = rng.choice(strings if strings and rng.random() < 0.5 else paths)
    parent, key = _parent(files[name], path), path[-1]
    match rng.randrange(9):
        case 0 | 1 | 2:  # a hostile string where a string was (most often), or anywhere
            parent[key] = rng.choice(hostile)
        case 3:  # a string with a hostile piece inserted
            old = parent[key] if isinstance(parent[key], str) else str(parent[key])
            cut = rng.randrange(len(old) + 1)
            parent[key] = old[:cut] + rng.choice(hostile) + old[cut:]
        case 4:  # a key renamed to a hostile name
            if isinstance(parent, dict):
                parent[rng.choice(hostile)] = parent.pop(key)
        case 5:
            parent[key] = rng.choice(wrong_values(rng))
        case 6:
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        case 7:  # deep nesting
            value: Any = parent[key]
            for _ in range(rng.choice([10, 70, 200])):
                value = [value]
            parent[key] = value
        case _:  # an unknown key, or a wrong one where a known one was expected
            if isinstance(parent, dict):
                parent[rng.choice(["bogus", "opclass", "collation", "using", "default", "check", "type"])] = (
                    rng.choice(hostile))


def _storable(text: str) -> bool:
    return "\0" not in text and not any("\ud800" <= c <= "\udfff" for c in text) and len(text.encode()) <= 63


def mutate_free_text(files: dict[str, Any], rng: random.Random, hostile: list[str]) -> None:
    """A hostile string where any string is allowed (descriptions, enum values, names): the project stays valid
    more often, so its hostile text goes on to generate, plan and apply."""
    name = rng.choice(sorted(files))
    paths = [p for p in _paths(files[name]) if p and (p[-1] == "description" or "enum" in p or "enums" in p)]
    value = rng.choice([h for h in hostile if _storable(h) and h])
    leads = files.get("tables/leads.yaml", {})
    if rng.random() < 0.4 and isinstance(leads.get("columns"), dict) and "status" in leads["columns"]:
        leads["columns"][value] = leads["columns"].pop("status")  # a column named like an attack
        return
    if paths:
        path = rng.choice(paths)
        _parent(files[name], path)[path[-1]] = value


def mutate_text(text: str, rng: random.Random) -> str | bytes:
    """One mutation of the YAML text itself."""
    match rng.randrange(11):
        case 10:  # an explicit tag on text it cannot read, or a number Python will not convert
            value = rng.choice(["!!float abc", "!!int 0x", "!!bool maybe", '!!float ""', "!!binary '@@'",
                                "!!python/name:os.system", "!!set {a, b}", "1" * 5_000, "-0x" + "f" * 5_000])
            return text.replace(": ", f": {value} #", 1) if rng.random() < 0.5 else text + f"extra: {value}\n"
        case 0:
            lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
            lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, rng.choice([3, 10]))]
            return text + "\n".join(lines) + "\n"
        case 1:
            lines = ["m0: &m0 {k0: 1, k1: 1, k2: 1, k3: 1}"]
            lines += [f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 6)}], z{i}: 1}}" for i in range(1, 9)]
            return text + "\n".join(lines) + "\n"
        case 2:
            return text + "deep: " + "[" * rng.choice([65, 500, 50_000]) + "]" * rng.choice([0, 65, 500, 50_000])
        case 3:
            return text.replace("  ", "\t", 1)
        case 4:
            return text[: rng.randrange(len(text) + 1)]
        case 5:
            raw = bytearray(text.encode())
            if raw:
                raw[rng.randrange(len(raw))] = rng.choice([0x00, 0x80, 0xFF, 0xC3, 0x1B, 0x0A])
            return bytes(raw)
        case 6:
            return "\ufeff" + text + "---\nsecond: document\n"
        case 7:
            return text + 'x: !!python/object/apply:os.system ["touch /tmp/pgevolve_fuzz_local"]\n'
        case 8:
            return text + "columns:\n  id: { type: integer }\n"  # a duplicate top-level key
        case _:
            return text + "# " + "x" * rng.choice([10, 100_000]) + "\n"


def dump(data: Any) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
    except (yaml.YAMLError, RecursionError, UnicodeEncodeError, ValueError):
        return json.dumps(data, ensure_ascii=True, default=str)  # JSON is YAML; lone surrogates as \u escapes


def make_project(root: Path, seed: int, *, dsn_words: str = "dbname=postgres", mutations: int | None = None) -> Path:
    """A mutated project under root/schema; the same seed gives the same files."""
    rng = random.Random(seed)
    files = copy.deepcopy(BASE)
    hostile = hostile_strings(dsn_words)
    for _ in range(mutations if mutations is not None else rng.choice([1, 1, 2, 3, 6])):
        (mutate_free_text if rng.random() < 0.4 else mutate_tree)(files, rng, hostile)
    schema = root / "schema"
    for relative, data in files.items():
        target = schema / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        text: str | bytes = dump(data)
        assert isinstance(text, str)
        if rng.random() < 0.05:
            text = mutate_text(text, rng)
        if isinstance(text, str):
            text = text.encode("utf-8", errors="surrogatepass")
        target.write_bytes(text)
    if rng.random() < 0.03:
        _odd_entry(schema / "tables" / "odd.yaml", rng)
    return schema


def _odd_entry(entry: Path, rng: random.Random) -> None:
    """A tables/ entry that is no YAML file of the project: a directory, a link to nothing or out of it."""
    match rng.randrange(4):
        case 0:
            entry.mkdir()
        case 1:
            entry.symlink_to(entry.parent / "nowhere.yaml")
        case 2:
            entry.symlink_to("/etc/passwd")
        case _:
            entry.symlink_to(entry.parent.parent.parent)  # the directory above the schema


# -- running one input -----------------------------------------------------------------------------

def run_cli(*args: str) -> tuple[int, str, BaseException | None]:
    """(exit code, output, the exception that escaped the CLI if any: a traceback a user would see)."""
    from typer.testing import CliRunner

    from pgevolve.cli import app

    result = CliRunner().invoke(app, list(args))
    escaped = result.exception if not isinstance(result.exception, SystemExit | type(None)) else None
    return result.exit_code, result.output, escaped


def run_offline(schema: Path, out: Path) -> tuple[int, str, BaseException | None]:
    """validate, and for a valid project generate (every table's DDL through sqltext/ddl)."""
    code, output, escaped = run_cli("validate", "--schema-dir", str(schema))
    if code == 0 and escaped is None:
        code, more, escaped = run_cli("generate", "--schema-dir", str(schema), "--out", str(out))
        output += more
    return code, output, escaped


# -- on a database ---------------------------------------------------------------------------------

_ROWS = """
INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 5) g;
INSERT INTO leads (id, email, score, owner_id, data, custom_fields)
SELECT g, 'lead' || g || '@example.com', g, 1 + g % 5,
       jsonb_build_object('vin', 'VIN0000000000000' || g % 10, 'year', 2000 + g),
       jsonb_build_object('referral', 'r' || g)
FROM generate_series(1, 20) g;
"""


def prepare_template(server_dsn: str, name: str, workdir: Path) -> str:
    """A database holding the base project with rows, a canary in a schema pgevolve does not own, and dblink
    (so that a payload reaching it could really drop the canary); returns its DSN."""
    import psycopg

    from pgevolve.server.connect import with_dbname

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    dsn = with_dbname(server_dsn, name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA bystander; CREATE TABLE {CANARY} (n int); INSERT INTO {CANARY} VALUES (1), (2);"
                     "CREATE EXTENSION IF NOT EXISTS dblink SCHEMA bystander")
    schema = make_project(workdir, 0, mutations=0)
    code, output, escaped = run_cli("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes")
    if code != 0 or escaped is not None:
        raise RuntimeError(f"the base project does not apply: {output} {escaped!r}")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(_ROWS)
    return dsn


def copy_database(server_dsn: str, template: str, name: str) -> str:
    import psycopg

    from pgevolve.server.connect import with_dbname

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return with_dbname(server_dsn, name)


def drop_database(server_dsn: str, name: str) -> None:
    import psycopg

    with psycopg.connect(server_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def canary_lost(dsn: str) -> str | None:
    """Why the canary is not as it was (dropped, emptied, a file on the server), or None."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        if conn.execute(f"SELECT to_regclass('{CANARY}')").fetchone()[0] is None:  # type: ignore[index]
            return "the canary table is gone"
        if conn.execute(f"SELECT count(*) FROM {CANARY}").fetchone()[0] != 2:  # type: ignore[index]
            return "the canary's rows changed"
        if conn.execute("SELECT pg_stat_file(%s, true) IS NOT NULL", (SERVER_FILE,)).fetchone()[0]:  # type: ignore[index]
            return f"{SERVER_FILE} appeared on the server"
    if Path("/tmp/pgevolve_fuzz_local").exists():
        return "/tmp/pgevolve_fuzz_local appeared on this machine"
    return None


def run_online(schema: Path, dsn: str) -> tuple[list[int], str, BaseException | None]:
    """plan, then apply (destructive steps allowed): the exit codes, the output, an escaped exception."""
    code, output, escaped = run_cli("plan", "--schema-dir", str(schema), "--database-url", dsn)
    codes = [code]
    if escaped is None and code in (0, 2):
        code, more, escaped = run_cli("apply", "--schema-dir", str(schema), "--database-url", dsn, "--yes",
                                      "--allow-destructive", "--statement-timeout", "20s")
        codes.append(code)
        output += more
    return codes, output, escaped


def dsn_words(dsn: str) -> str:
    """The target's own connection string, for dblink payloads (a loopback to the canary's database)."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    return " ".join(f"{k}={v}" for k, v in params.items() if k in ("host", "port", "user", "dbname"))
