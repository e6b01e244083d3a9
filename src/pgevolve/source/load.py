"""load_project: every file under schema/ read, validated and checked, every problem collected."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pgevolve import model
from pgevolve.errors import Problem, SpecError, did_you_mean
from pgevolve.model import ONLINE_FROM_ROWS
from pgevolve.source.forks import Forked
from pgevolve.source.marked_yaml import Document, NodePath, load_document
from pgevolve.source.paths import RealPaths
from pgevolve.source.project import EnumSpec, Project, TableSpec, enum_specs, schema_specs, table_spec
from pgevolve.source.validate import FileKind, schema_problems, without_unknown_keys
from pgevolve.source.yaml_limits import MAX_FILE_BYTES

PROJECT_FILE = "pgevolve.yaml"
MAX_FILES = 10_000  # table files, and shape files, per project


@dataclass(frozen=True, slots=True)
class _Read:
    """One file: its document when it could be parsed, and whether it passed the JSON Schema."""

    path: Path
    doc: Document | None
    valid: bool
    table: TableSpec | None = None  # a valid table file's spec, made where the file was read

    def name(self, key: str) -> str:
        """The name the file defines (or, when unreadable, what its file name suggests)."""
        value = self.doc.data.get(key) if self.doc is not None else None
        return value if isinstance(value, str) else self.path.stem


def load_project(schema_dir: Path, *, ahead: ReadAhead | None = None) -> Project:
    """Read, validate and check schema_dir; SpecError lists every problem found, not just the first.

    ``ahead``: the table and shape files, read on several cores (``read_ahead``)."""
    if not schema_dir.is_dir():
        what = "is not a directory" if schema_dir.exists() else "does not exist"
        raise SpecError([Problem(file=str(schema_dir), line=0, column=0, message=f"the schema directory {what}",
                                 hint="pass --schema-dir, or create it with a pgevolve.yaml (schema: public)")])
    problems: list[Problem] = []
    project_file = _read_project(schema_dir / PROJECT_FILE, problems)
    done = ahead.results() if ahead is not None else {}
    tables = [_read(path, "tableFile", problems, done) for path in _yaml_files(schema_dir, "tables", problems)]
    shapes = [_read(path, "shapeFile", problems, done) for path in _yaml_files(schema_dir, "shapes", problems)]
    project = _assemble(schema_dir, project_file, tables, shapes, problems)
    project = replace(project, prerequisites=_prerequisites(schema_dir, project.schema, problems))
    project = _by_schema(project, _schema_settings(project_file), problems)
    from pgevolve.source.semantic import check_project  # not at the top: forked readers never need it

    for part in project.parts:
        problems += check_project(
            part,
            broken_tables=frozenset(r.name("table") for r in tables if not r.valid),
            broken_shapes=frozenset(r.name("shape") for r in shapes if not r.valid),
        )
    problems.sort(key=lambda p: (p.file, p.line, p.column))
    if any(p.severity == "error" for p in problems):
        raise SpecError(problems)
    return replace(project, warnings=tuple(problems))


def _prerequisites(schema_dir: Path, schema: str, problems: list[Problem]) -> tuple[model.Prerequisite, ...]:
    """schema/prerequisites.sql, when there is one: the objects the tables need that the format does not manage."""
    # Not at the top: pglast, which forked readers of table files never need.
    from pgevolve.sqltext.prerequisites import FILE_NAME, PrerequisiteError, parse_prerequisites

    path = schema_dir / FILE_NAME
    if not path.is_file():
        return ()
    if not RealPaths(str(path.parent.resolve())).inside(str(path)):
        problems.append(_outside_problem(path))
        return ()
    if path.stat().st_size > MAX_FILE_BYTES:
        problems.append(Problem(file=str(path), line=0, column=0, message=f"{path.stat().st_size:,} bytes; "
                                f"pgevolve reads files of at most {MAX_FILE_BYTES:,} bytes"))
        return ()
    try:
        return parse_prerequisites(path.read_text(encoding="utf-8"), schema)
    except PrerequisiteError as exc:
        problems.append(Problem(file=str(path), line=exc.line, column=1, message=str(exc), hint=exc.hint))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(file=str(path), line=0, column=0, message=f"cannot be read: {exc}"))
    return ()


def _schema_settings(project_file: _Read | None) -> dict[str, dict[str, EnumSpec]]:
    if project_file is None or project_file.doc is None or not project_file.valid:
        return {}
    return schema_specs(project_file.doc.data)


def _by_schema(project: Project, schemas: dict[str, dict[str, EnumSpec]], problems: list[Problem]) -> Project:
    """The project's tables split by owned schema: its own, and one project per other schema (``others``).

    Each part keeps the prerequisites (their domains and types are column types everywhere; the project's
    schema creates them) and sees the other owned schemas as external ones: a foreign key into another is
    written with its schema (``references: { schema: ..., table: ..., columns: [...] }``), as one into an
    external schema.
    """
    owned = (project.schema, *(s for s in schemas if s != project.schema))
    tables: dict[str, list[Any]] = {s: [] for s in owned}
    for table in project.tables:
        where = table.schema or project.schema
        if where in tables:
            tables[where].append(table)
            continue
        hint = did_you_mean(where, owned)
        problems.append(table.doc.problem(("schema",), f"schema '{where}' is not owned by the project",
                                          value=where, hint=hint or f"add it to pgevolve.yaml: schemas: [{where}]"))

    def external(schema: str) -> tuple[str, ...]:
        return (*project.external_schemas, *(s for s in owned if s != schema))

    enums = {project.schema: project.enums, **{s: schemas[s] for s in owned[1:]}}

    def siblings(schema: str) -> frozenset[tuple[str, str]]:
        return frozenset((s, name) for s in owned if s != schema for name in enums[s])

    others = tuple(
        replace(project, schema=schema, tables=tuple(tables[schema]), enums=schemas[schema], extensions=(),
                extension_schemas={}, project_doc=None, external_schemas=external(schema),
                sibling_enums=siblings(schema))
        for schema in owned[1:])
    return replace(project, tables=tuple(tables[project.schema]), external_schemas=external(project.schema),
                   others=others, sibling_enums=siblings(project.schema))


def _yaml_files(schema_dir: Path, name: str, problems: list[Problem]) -> list[Path]:
    """The YAML files of tables/ or shapes/ and their folders (tables/<schema>/ for another owned schema's
    tables); a problem for what looks like one and cannot be read as one."""
    directory = schema_dir / name
    if not directory.exists() and not directory.is_symlink():
        return []
    if not directory.is_dir():
        problems.append(Problem(file=str(directory), line=0, column=0, message=f"'{directory.name}' is not a "
                                "directory (or a symbolic link to nothing)", hint=f"make {directory.name}/ a "
                                "directory with one YAML file per table or shape"))
        return []
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
    if len(files) > MAX_FILES:
        problems.append(Problem(file=str(directory), line=0, column=0, message=f"{len(files):,} YAML files; "
                                f"pgevolve reads at most {MAX_FILES:,} per directory"))
        return []
    regular = []
    for path in files:
        if path.is_file():
            regular.append(path)
            continue
        what = "a symbolic link to nothing" if path.is_symlink() and not path.exists() else "not a regular file"
        problems.append(Problem(file=str(path), line=0, column=0, message=f"{what}: it is not read",
                                hint="make it a YAML file, or remove it"))
    real = RealPaths(str(schema_dir.resolve()))
    outside = {p for p in regular if not real.inside(str(p))}
    problems += [_outside_problem(p) for p in regular if p in outside]
    return [p for p in regular if p not in outside]


def _outside_problem(path: Path) -> Problem:
    return Problem(file=str(path), line=0, column=0,
                   message="a symbolic link to a file outside the schema directory: it is not read",
                   hint="copy the file into the schema directory; pgevolve reads no file outside it")


def _read_project(path: Path, problems: list[Problem]) -> _Read | None:
    if not path.is_file():
        problems.append(Problem(file=str(path), line=0, column=0, message="the project file is missing",
                                hint="create it with the line: schema: public"))
        return None
    if not RealPaths(str(path.parent.resolve())).inside(str(path)):
        problems.append(_outside_problem(path))
        return None
    return _read(path, "projectFile", problems)


_Done = dict[tuple[Path, FileKind], tuple[_Read, list[Problem]]]


def _read(path: Path, kind: FileKind, problems: list[Problem], done: _Done | None = None) -> _Read:
    read, found = (done or {}).get((path, kind)) or _read_file((path, kind))
    problems += found
    return read


def _read_file(file: tuple[Path, FileKind]) -> tuple[_Read, list[Problem]]:
    """One file read and checked against the JSON Schema, and its problems."""
    path, kind = file
    doc, problems = load_document(path, str(path))
    if doc is None:
        return _Read(path, None, False), problems
    problems += non_finite_numbers(doc)
    found = schema_problems(doc, kind)
    problems += found
    valid = doc if not found else without_unknown_keys(doc, kind)
    if valid is None:
        return _Read(path, doc, False), problems
    return _Read(path, valid, True, table_spec(valid) if kind == "tableFile" else None), problems


# A child pays for itself from about this many files (forking, pickling the documents back).
_MIN_FILES_PER_PROCESS = 100


class ReadAhead:
    """The table and shape files of a project, read by forked children and this process (``forks``).

    Made before any thread starts (fork() copies a process with one thread safely); load_project
    takes the results. Files load_project lists differently (one added meanwhile) are read there.
    """

    def __init__(self, schema_dir: Path) -> None:
        ignored: list[Problem] = []  # load_project lists the files again, and reports
        files: list[tuple[Path, FileKind]] = [(p, "tableFile") for p in _yaml_files(schema_dir, "tables", ignored)]
        files += [(p, "shapeFile") for p in _yaml_files(schema_dir, "shapes", ignored)]
        self._files = files
        self._forked = Forked(_read_file, files, min_share=_MIN_FILES_PER_PROCESS)

    def results(self) -> _Done:
        return dict(zip(self._files, self._forked.results(), strict=True))

    def close(self) -> None:
        self._forked.close()


def _assemble(
    schema_dir: Path, project_file: _Read | None, tables: list[_Read], shapes: list[_Read], problems: list[Problem]
) -> Project:
    """The Project from the files that passed the JSON Schema."""
    settings = _settings(project_file)
    shape_docs: dict[str, Document] = {}
    for read in shapes:
        if read.valid and read.doc is not None:
            problems += _add_shape(shape_docs, read.doc)
    return Project(
        schema=settings["schema"],
        extensions=tuple(e if isinstance(e, str) else e["name"] for e in settings.get("extensions") or ()),
        external_schemas=tuple(settings.get("external_schemas") or ()),
        extension_schemas={e["name"]: e["schema"] for e in settings.get("extensions") or () if isinstance(e, dict)},
        enums=settings["enums"],
        online_from_rows=int(settings.get("online_from_rows", ONLINE_FROM_ROWS)),
        tables=tuple(r.table or table_spec(r.doc) for r in tables if r.valid and r.doc is not None),
        shapes={name: doc.data for name, doc in shape_docs.items()},
        root=schema_dir,
        project_doc=project_file.doc if project_file is not None and project_file.valid else None,
        shape_docs=shape_docs,
    )


def _settings(project_file: _Read | None) -> dict[str, Any]:
    """The project file's data; from an invalid one, what can still be used (enum names for types)."""
    if project_file is None or project_file.doc is None:
        return {"schema": "public", "enums": {}}
    data = project_file.doc.data
    if project_file.valid:
        return {**data, "enums": enum_specs(data)}
    enums = data.get("enums") if isinstance(data.get("enums"), dict) else {}
    schema = data.get("schema") if isinstance(data.get("schema"), str) else "public"
    return {"schema": schema, "enums": {str(name): EnumSpec(name=str(name), values=()) for name in enums}}


def _add_shape(shape_docs: dict[str, Document], doc: Document) -> list[Problem]:
    name = doc.data["shape"]
    if name in shape_docs:
        earlier = shape_docs[name]
        line = earlier.value_mark(("shape",)).line
        return [doc.problem(("shape",), f"shape '{name}' is already defined in {earlier.file}:{line}")]
    shape_docs[name] = doc
    return []


def non_finite_numbers(doc: Document) -> list[Problem]:
    """.inf and .nan are YAML numbers that no JSON path, CHECK or JSON Schema can hold.

    A column ``default`` may be one: a double precision column can default to 'Infinity'.
    """
    return [doc.problem(path, "the number must be finite, not infinity or NaN", value=value)
            for path, value in _floats(doc.data, ()) if not math.isfinite(value) and path[-1:] != ("default",)]


def _floats(data: Any, path: NodePath) -> Iterator[tuple[NodePath, float]]:
    if isinstance(data, float):
        yield path, data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _floats(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _floats(value, (*path, index))
