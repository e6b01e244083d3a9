"""A synthetic CRM-like schema of N tables, written twice: as a pgevolve YAML project and as SQL.

The SQL is written by hand here (not by pgevolve), so that planning the YAML
against a database loaded from the SQL is a real no-op test. Every table has
about 20 columns of mixed types (jsonb, text[], uuid and timestamptz defaults,
numeric, an enum CHECK), a primary key, one or two foreign keys to earlier
tables with ON DELETE actions, a CHECK, and four indexes: a GIN on jsonb, an
expression index, a partial index and a plain btree. Deterministic for a given N.
"""

from __future__ import annotations

import random
from pathlib import Path

ACTIONS = [("cascade", "CASCADE"), ("set null", "SET NULL"), ("restrict", "RESTRICT")]
PLAIN = [  # name, YAML type, SQL type
    ("title", "text", "text"),
    ("email", "varchar(320)", "character varying(320)"),
    ("phone", "text", "text"),
    ("amount", "numeric(12,2)", "numeric(12,2)"),
    ("quantity", "integer", "integer"),
    ("ratio", "double precision", "double precision"),
    ("notes", "text", "text"),
    ("labels", "text[]", "text[]"),
    ("birthday", "date", "date"),
    ("big_counter", "bigint", "bigint"),
    ("code", "varchar(40)", "character varying(40)"),
    ("flags", "integer[]", "integer[]"),
]


def table_name(i: int) -> str:
    return f"t_{i:04d}"


def _references(i: int, rng: random.Random) -> list[tuple[str, str, tuple[str, str]]]:
    if i == 0:
        return []
    count = 1 if i == 1 else rng.choice([1, 2])
    targets = sorted({rng.randrange(0, i) for _ in range(count)})
    return [(f"ref_{n}", table_name(t), rng.choice(ACTIONS)) for n, t in enumerate(targets)]


def table_yaml(i: int, rng: random.Random) -> str:
    name = table_name(i)
    lines = [f"table: {name}", f"description: Synthetic table {i}.", "columns:",
             "  id:         { type: uuid, primary_key: true, default: uuid_generate_v4() }",
             "  status:     { type: text, nullable: false, default: \"'new'\", enum: [new, open, won, lost] }",
             "  active:     { type: boolean, nullable: false, default: true }",
             "  payload:    { type: jsonb, nullable: false, default: \"'{}'\" }",
             "  created_at: { type: timestamptz, nullable: false, default: now() }",
             "  updated_at: { type: timestamptz }"]
    lines += [f"  {column}: {{ type: \"{yaml_type}\" }}" for column, yaml_type, _ in PLAIN]
    for column, target, (action, _) in _references(i, rng):
        lines.append(f"  {column}: {{ type: uuid, references: {target}.id, on_delete: {action} }}")
    lines += ["checks:", f"  - {{ name: {name}_amount_check, expression: \"amount >= 0\" }}", "indexes:",
              "  - columns: [payload]", "    using: gin",
              "  - expression: \"payload->>'ref'\"",
              "  - columns: [created_at]", "    where: active",
              "  - columns: [status, quantity]"]
    return "\n".join(lines) + "\n"


def table_sql(i: int, rng: random.Random) -> str:
    name = table_name(i)
    columns = ["id uuid DEFAULT uuid_generate_v4() NOT NULL",
               "status text DEFAULT 'new' NOT NULL",
               "active boolean DEFAULT true NOT NULL",
               "payload jsonb DEFAULT '{}' NOT NULL",
               "created_at timestamptz DEFAULT now() NOT NULL",
               "updated_at timestamptz"]
    columns += [f"{column} {sql_type}" for column, _, sql_type in PLAIN]
    references = _references(i, rng)
    columns += [f"{column} uuid" for column, _, _ in references]
    constraints = [f"CONSTRAINT {name}_pkey PRIMARY KEY (id)",
                   f"CONSTRAINT {name}_status_check CHECK (status IN ('new', 'open', 'won', 'lost'))",
                   f"CONSTRAINT {name}_amount_check CHECK (amount >= 0)"]
    statements = [f"CREATE TABLE {name} (\n    " + ",\n    ".join(columns + constraints) + "\n);",
                  f"COMMENT ON TABLE {name} IS 'Synthetic table {i}.';",
                  f"CREATE INDEX {name}_payload_idx ON {name} USING gin (payload);",
                  f"CREATE INDEX {name}_expr_idx ON {name} ((payload->>'ref'));",
                  f"CREATE INDEX {name}_created_at_idx ON {name} (created_at) WHERE active;",
                  f"CREATE INDEX {name}_status_quantity_idx ON {name} (status, quantity);"]
    statements += [f"ALTER TABLE {name} ADD CONSTRAINT {name}_{column}_fkey FOREIGN KEY ({column}) "
                   f"REFERENCES {target} (id) ON DELETE {sql_action};"
                   for column, target, (_, sql_action) in references]
    return "\n".join(statements) + "\n"


def write_project(n: int, out: Path, seed: int = 7) -> Path:
    """schema/ for N tables under ``out``; returns the schema directory."""
    schema = out / "schema"
    (schema / "tables").mkdir(parents=True, exist_ok=True)
    (schema / "pgevolve.yaml").write_text("schema: public\nextensions: [uuid-ossp]\n")
    rng = random.Random(seed)
    for i in range(n):
        (schema / "tables" / f"{table_name(i)}.yaml").write_text(table_yaml(i, rng))
    return schema


def render_sql(n: int, seed: int = 7) -> str:
    """The same schema as plain SQL, hand-written DDL."""
    rng = random.Random(seed)
    return 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp";\n' + "".join(table_sql(i, rng) for i in range(n))
