"""promote, the YAML side: add a column filled from a JSON key to schema/tables/<table>.yaml.

The file is read with ruamel.yaml in round-trip mode, which knows where every
key and item is (line and column). The edit itself is a splice of new lines
at those places, written in the file's own style (flow or block mappings, the
alignment of the values, the indentation of the sequences): a ruamel dump
would re-space every flow mapping and undo the aligned columns of a
hand-written file, and a reviewer would see a diff of the whole file. Every
other line stays byte for byte as it was, comments included; the result is
parsed again and checked to hold exactly the intended data before it is written.

The new column::

    referral_source: { type: text, promoted_from: custom_fields.referral_source }

goes right after the JSON column; ``--index`` adds ``- columns: [referral_source]``
under ``indexes:`` (created at the end of the file when absent), and
``--drop-key`` adds ``drop_key: true`` to the column.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from pgevolve.errors import PgevolveError
from pgevolve.sqltext import ident

_OBJECT_TYPES = ("jsonb", "custom_fields")
# JSON Schema type of a shape property -> the column type of the promoted key.
_SHAPE_TYPES = {"string": "text", "integer": "bigint", "number": "numeric", "boolean": "boolean"}


class PromoteError(PgevolveError):
    """promote cannot edit the YAML as asked."""

    def __init__(self, message: str, *, file: Path | None = None, hint: str | None = None) -> None:
        self.file = file
        self.hint = hint
        text = f"{file}: {message}" if file else message
        super().__init__(f"{text}; {hint}" if hint else text)


class UnknownTable(PromoteError):
    """No file under schema/tables/ defines the table."""


class UnknownColumn(PromoteError):
    """The table has no such JSON column."""


class NotAJsonObject(PromoteError):
    """The source column is not a jsonb object column (jsonb or custom_fields)."""


class ColumnExists(PromoteError):
    """The table already has a column of the promoted column's name."""


class CannotEdit(PromoteError):
    """The file is laid out in a way the edit cannot be spliced into safely."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PromoteEdit:
    """What promote_in_yaml did (or would do, on a dry run)."""

    file: Path
    table: str
    column: str
    sql_type: str
    type_source: str  # "--type", "database: ...", "shape vehicle", "default"
    promoted_from: str  # "custom_fields.referral_source"
    drop_key: bool
    index_added: bool
    index_existed: bool  # --index asked, but an index on exactly this column was already declared
    before: str
    after: str
    written: bool

    @property
    def diff(self) -> str:
        """A unified diff of the file, as a reviewer will see it."""
        return "".join(difflib.unified_diff(self.before.splitlines(keepends=True),
                                            self.after.splitlines(keepends=True),
                                            fromfile=str(self.file), tofile=str(self.file)))


def promote_in_yaml(schema_dir: Path, table: str, json_column: str, key: str, *, name: str | None = None,
                    sql_type: str | None = None, index: bool = False, drop_key: bool = False,
                    type_source: str | None = None, dry_run: bool = False) -> PromoteEdit:
    """Add the promoted column (and its index) to the table's YAML file, changing no other line.

    ``sql_type`` None: the type of the key in the column's shape, else text. ``type_source`` says
    where a given ``sql_type`` came from ("--type" when None).
    """
    path, text, doc = _find_table(schema_dir, table)
    columns = doc.get("columns")
    if not isinstance(columns, CommentedMap):
        raise CannotEdit(f"table '{table}' has no block 'columns:' mapping to add to", file=path)
    spec = _source_column(path, table, columns, json_column)
    if not key or "." in key:
        raise PromoteError(f"cannot promote key {key!r}: only top-level keys of {json_column} can be promoted",
                           file=path, hint="index a nested key in place with an expression index instead")
    column = name or key
    if ident.too_long(column):
        raise PromoteError(f"column name {column!r} is longer than PostgreSQL's {ident.MAX_IDENTIFIER_BYTES} bytes",
                           file=path, hint="choose a shorter one with --name")
    if column in columns:
        raise ColumnExists(f"table '{table}' already has a column '{column}'", file=path,
                           hint="choose another name with --name")
    if sql_type is None:
        sql_type, type_source = _default_type(schema_dir, spec, key, path, json_column)
    promoted_from = f"{json_column}.{key}"
    fields: dict[str, object] = {"type": sql_type, "promoted_from": promoted_from}
    if drop_key:
        fields["drop_key"] = True
    splicer = _Splicer(text)
    splicer.add_column(columns, json_column, column, fields)
    index_existed = index and _has_index(doc.get("indexes"), column)
    if index and not index_existed:
        splicer.add_index(doc, column)
    after = splicer.result()
    _check(path, text, after, json_column, column, fields, index and not index_existed)
    if not dry_run:
        path.write_text(after, encoding="utf-8", newline="")
    return PromoteEdit(file=path, table=table, column=column, sql_type=sql_type,
                       type_source=type_source or "--type", promoted_from=promoted_from, drop_key=drop_key,
                       index_added=index and not index_existed, index_existed=index_existed,
                       before=text, after=after, written=not dry_run)


# -- finding what to edit ----------------------------------------------------------------------------------


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def _load(path: Path) -> tuple[str, Any]:
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    try:
        return text, _yaml().load(text)
    except YAMLError as exc:
        raise PromoteError(f"cannot parse the YAML: {str(exc).splitlines()[0]}", file=path,
                           hint="run `pgevolve validate`") from None


def _table_files(schema_dir: Path) -> list[Path]:
    directory = schema_dir / "tables"
    if not directory.is_dir():
        raise UnknownTable(f"no directory {directory}", hint="pass the project's directory with --schema-dir")
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
                  and not p.name.startswith("."))


def _find_table(schema_dir: Path, table: str) -> tuple[Path, str, CommentedMap]:
    files = _table_files(schema_dir)
    # Most files say `table: <name>` on a line of their own; read those first, then all the others.
    pattern = re.compile(rf"^table:\s*(['\"]?){re.escape(table)}\1\s*(#.*)?$", re.MULTILINE)
    likely = [p for p in files if pattern.search(p.read_text(encoding="utf-8"))]
    names: list[str] = []
    for path in likely + [p for p in files if p not in likely]:
        text, doc = _load(path)
        if isinstance(doc, CommentedMap) and doc.get("table") == table:
            return path, text, doc
        if isinstance(doc, CommentedMap) and isinstance(doc.get("table"), str):
            names.append(doc["table"])
    hint = _did_you_mean(table, names)
    raise UnknownTable(f"no file under {schema_dir / 'tables'} defines table '{table}'", hint=hint)


def _did_you_mean(name: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(name, choices, n=1)
    return f"did you mean '{close[0]}'?" if close else None


def _source_column(path: Path, table: str, columns: CommentedMap, json_column: str) -> CommentedMap:
    if json_column not in columns:
        raise UnknownColumn(f"table '{table}' has no column '{json_column}'", file=path,
                            hint=_did_you_mean(json_column, [str(c) for c in columns]))
    spec = columns[json_column]
    kind = str(spec.get("type", "")).strip().lower() if isinstance(spec, dict) else ""
    if kind not in _OBJECT_TYPES or (isinstance(spec, dict) and "items" in spec):
        what = "a JSON array" if kind == "tags" or (isinstance(spec, dict) and "items" in spec) else f"of type {kind}"
        raise NotAJsonObject(f"column '{json_column}' is {what}, not a JSON object: only keys of jsonb and "
                             "custom_fields columns can be promoted", file=path)
    assert isinstance(spec, CommentedMap)  # a mapping (its kind was read above), as the round-trip loader builds them
    return spec


def _default_type(schema_dir: Path, spec: CommentedMap, key: str, path: Path, column: str) -> tuple[str, str]:
    """The key's type in the column's shape, else text."""
    shape = spec.get("shape")
    if shape is None:
        return "text", "default (no --type and no database to look at)"
    properties = _shape_properties(schema_dir, str(shape))
    if properties is None:
        return "text", f"default (shape '{shape}' not found)"
    if key not in properties:
        raise PromoteError(f"shape '{shape}' of column '{column}' has no property '{key}'", file=path,
                           hint=_did_you_mean(key, list(properties)) or "declare it in the shape first")
    json_type = properties[key].get("type") if isinstance(properties[key], dict) else None
    return _SHAPE_TYPES.get(str(json_type), "jsonb" if json_type in ("object", "array") else "text"), f"shape {shape}"


def _shape_properties(schema_dir: Path, shape: str) -> dict[str, Any] | None:
    directory = schema_dir / "shapes"
    if not directory.is_dir():
        return None
    for path in sorted(directory.glob("*.y*ml")):
        try:
            doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        except YAMLError:
            continue
        if isinstance(doc, dict) and doc.get("shape") == shape:
            properties = doc.get("properties")
            return properties if isinstance(properties, dict) else {}
    return None


def _has_index(indexes: Any, column: str) -> bool:
    if not isinstance(indexes, list):
        return False
    return any(isinstance(i, dict) and list(i.get("columns") or ()) == [column] and "where" not in i
               for i in indexes)


# -- the splice --------------------------------------------------------------------------------------------


_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ .()]*")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})


def _scalar(value: object) -> str:
    """A YAML scalar that is safe in flow and block context alike."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if _PLAIN.fullmatch(text) and not text.endswith(" ") and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Splicer:
    """Line insertions into the original text, applied bottom-up so earlier positions stay valid."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self.lines = text.splitlines(keepends=True)
        self.inserts: list[tuple[int, list[str]]] = []  # (before line index, new lines)
        self.replaces: dict[int, str] = {}

    def result(self) -> str:
        lines = list(self.lines)
        for number, line in self.replaces.items():
            lines[number] = line
        if lines and not lines[-1].endswith(("\n", "\r")) and any(at >= len(lines) for at, _ in self.inserts):
            lines[-1] += self.newline
        for at, new in sorted(self.inserts, key=lambda item: item[0], reverse=True):
            lines[at:at] = [line + self.newline for line in new]
        return "".join(lines)

    def _entry_end(self, start: int, own_indent: int, limit: int) -> int:
        """The index after the last line of an entry that starts on line `start`.

        Its lines are the deeper-indented ones; a deeper comment belongs to it when no blank line
        separates them, and a comment at the entry's own indentation belongs to what follows.
        """
        end = start + 1
        for number in range(start + 1, min(limit, len(self.lines))):
            stripped = self.lines[number].strip()
            if not stripped:
                continue
            if _indent(self.lines[number]) <= own_indent:
                break
            if not stripped.startswith("#") or number == end:
                end = number + 1
        return end

    def add_column(self, columns: CommentedMap, after: str, name: str, fields: dict[str, object]) -> None:
        keys = list(columns)
        line, key_col = columns.lc.key(after)
        position = keys.index(after)
        limit = columns.lc.key(keys[position + 1])[0] if position + 1 < len(keys) else len(self.lines)
        end = self._entry_end(line, key_col, limit)
        spec = columns[after]
        if isinstance(spec, CommentedMap) and spec.fa.flow_style():
            value_line, value_col = columns.lc.value(after)
            source = self.lines[value_line]
            spaced = source[value_col:value_col + 2] == "{ "
            pad = value_col - (key_col + len(_scalar(name)) + 1) if _aligned(columns) == value_col else 1
            items = ", ".join(f"{k}: {_scalar(v)}" for k, v in fields.items())
            body = f"{{ {items} }}" if spaced else f"{{{items}}}"
            new = [f"{' ' * key_col}{_scalar(name)}:{' ' * max(pad, 1)}{body}"]
        else:
            inner = key_col + 2
            if isinstance(spec, CommentedMap) and len(spec):
                inner = spec.lc.key(next(iter(spec)))[1]
            new = [f"{' ' * key_col}{_scalar(name)}:"]
            new += [f"{' ' * inner}{k}: {_scalar(v)}" for k, v in fields.items()]
        self.inserts.append((end, new))

    def add_index(self, doc: CommentedMap, column: str) -> None:
        indexes = doc.get("indexes")
        item = f"columns: [{_scalar(column)}]"
        if "indexes" not in doc:
            self.inserts.append((len(self.lines), ["indexes:", f"  - {item}"]))
            return
        key_line, key_col = doc.lc.key("indexes")
        if indexes is None or (isinstance(indexes, CommentedSeq) and not indexes):
            # `indexes:` with nothing, or `indexes: []`: the key line becomes a block sequence.
            comment = re.search(r"\s+#.*$", self.lines[key_line].rstrip("\r\n"))
            self.replaces[key_line] = (" " * key_col + "indexes:" + (comment.group(0) if comment else "")
                                       + self.newline)
            self.inserts.append((key_line + 1, [f"{' ' * (key_col + 2)}- {item}"]))
            return
        if not isinstance(indexes, CommentedSeq) or indexes.fa.flow_style():
            raise CannotEdit("'indexes:' is not a block sequence ('- ...' items); add the index by hand")
        last_line, content_col = indexes.lc.item(len(indexes) - 1)
        source = self.lines[last_line]
        dash = source.rfind("-", 0, content_col)
        if dash < 0:  # the item's content starts on the line after its dash
            dash = max(0, content_col - 2)
        limit = _next_key_line(doc, "indexes", len(self.lines))
        end = self._entry_end(last_line, dash, limit)
        last = indexes[len(indexes) - 1]
        if isinstance(last, CommentedMap) and last.fa.flow_style():
            spaced = source[content_col:content_col + 2] == "{ "
            item = f"{{ {item} }}" if spaced else f"{{{item}}}"
        self.inserts.append((end, [f"{' ' * dash}- {item}"]))


def _aligned(columns: CommentedMap) -> int | None:
    """The column where every flow-mapping value starts, when a hand-aligned file lines them up."""
    starts = {columns.lc.value(k)[1] for k, v in columns.items() if isinstance(v, CommentedMap) and v.fa.flow_style()}
    natural = {columns.lc.key(k)[1] + len(str(k)) + 2 for k in columns}
    return starts.pop() if len(starts) == 1 and len(columns) > 1 and len(natural) > 1 else None


def _next_key_line(doc: CommentedMap, key: str, default: int) -> int:
    keys = list(doc)
    position = keys.index(key)
    return doc.lc.key(keys[position + 1])[0] if position + 1 < len(keys) else default


def _check(path: Path, before: str, after: str, json_column: str, column: str, fields: dict[str, object],
           index_added: bool) -> None:
    """The edited file holds exactly the old data plus the new column (and index), in order."""
    safe = YAML(typ="safe")
    try:
        old, new = safe.load(before), safe.load(after)
    except YAMLError as exc:
        raise CannotEdit(f"the edit would not parse ({str(exc).splitlines()[0]}); add the column by hand",
                         file=path) from None
    expected = dict(old)
    columns = list(old["columns"].items())
    position = [k for k, _ in columns].index(json_column) + 1
    expected["columns"] = dict([*columns[:position], (column, dict(fields)), *columns[position:]])
    if index_added:
        expected["indexes"] = [*(old.get("indexes") or []), {"columns": [column]}]
    if new != expected or list(new["columns"]) != list(expected["columns"]):
        raise CannotEdit("the layout of this file defeats a safe edit; add the column by hand:\n"
                         f"  {column}: {json.dumps(fields)}", file=path)
