"""load_project: every file under schema/ read, validated and checked, every problem collected."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pgevolve.errors import Problem, SpecError
from pgevolve.model import ONLINE_FROM_ROWS
from pgevolve.source.marked_yaml import Document, load_document
from pgevolve.source.project import EnumSpec, Project, enum_specs, table_spec
from pgevolve.source.semantic import check_project
from pgevolve.source.validate import FileKind, schema_problems, without_unknown_keys

PROJECT_FILE = "pgevolve.yaml"


@dataclass(frozen=True, slots=True)
class _Read:
    """One file: its document when it could be parsed, and whether it passed the JSON Schema."""

    path: Path
    doc: Document | None
    valid: bool

    def name(self, key: str) -> str:
        """The name the file defines (or, when unreadable, what its file name suggests)."""
        value = self.doc.data.get(key) if self.doc is not None else None
        return value if isinstance(value, str) else self.path.stem


def load_project(schema_dir: Path) -> Project:
    """Read, validate and check schema_dir; SpecError lists every problem found, not just the first."""
    if not schema_dir.is_dir():
        what = "is not a directory" if schema_dir.exists() else "does not exist"
        raise SpecError([Problem(file=str(schema_dir), line=0, column=0, message=f"the schema directory {what}",
                                 hint="pass --schema-dir, or create it with a pgevolve.yaml (schema: public)")])
    problems: list[Problem] = []
    project_file = _read_project(schema_dir / PROJECT_FILE, problems)
    tables = [_read(path, "tableFile", problems) for path in _yaml_files(schema_dir / "tables")]
    shapes = [_read(path, "shapeFile", problems) for path in _yaml_files(schema_dir / "shapes")]
    project = _assemble(schema_dir, project_file, tables, shapes, problems)
    problems += check_project(
        project,
        broken_tables=frozenset(r.name("table") for r in tables if not r.valid),
        broken_shapes=frozenset(r.name("shape") for r in shapes if not r.valid),
    )
    problems.sort(key=lambda p: (p.file, p.line, p.column))
    if any(p.severity == "error" for p in problems):
        raise SpecError(problems)
    return replace(project, warnings=tuple(problems))


def _yaml_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    files = [p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")]
    return sorted(p for p in files if p.is_file())


def _read_project(path: Path, problems: list[Problem]) -> _Read | None:
    if not path.is_file():
        problems.append(Problem(file=str(path), line=0, column=0, message="the project file is missing",
                                hint="create it with the line: schema: public"))
        return None
    return _read(path, "projectFile", problems)


def _read(path: Path, kind: FileKind, problems: list[Problem]) -> _Read:
    doc, load_problems = load_document(path, str(path))
    problems += load_problems
    if doc is None:
        return _Read(path, None, False)
    found = schema_problems(doc, kind)
    problems += found
    if not found:
        return _Read(path, doc, True)
    pruned = without_unknown_keys(doc, kind)
    return _Read(path, pruned, True) if pruned is not None else _Read(path, doc, False)


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
        extensions=tuple(settings.get("extensions") or ()),
        enums=settings["enums"],
        online_from_rows=int(settings.get("online_from_rows", ONLINE_FROM_ROWS)),
        tables=tuple(table_spec(r.doc) for r in tables if r.valid and r.doc is not None),
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
