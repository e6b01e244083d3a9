"""Live indexes that the plan would drop, reused where a key or an index needs exactly them.

- An index left under its temporary name (``ident.temporary_index_name``) by an
  interrupted ReplaceIndex or ReplaceKey, with the new definition: its build is
  skipped, the swap goes on from there.
- A unique index with exactly the definition of a PRIMARY KEY or UNIQUE
  constraint to add or swap in (plain columns, default order and opclass, no
  predicate): attached with ADD CONSTRAINT ... USING INDEX instead of being
  dropped and built again. That is also what a run interrupted between a key's
  concurrent build and its attach leaves behind.

Any other leftover is dropped like every index the desired schema does not name.
"""

from __future__ import annotations

from dataclasses import replace

from pgevolve import model
from pgevolve.changes import AddPrimaryKey, AddUnique, Change, CreateIndex, DropIndex, ReplaceIndex, ReplaceKey
from pgevolve.model import key_index
from pgevolve.sqltext.ident import temporary_index_name


def reuse_indexes(keys: list[Change], indexes: list[Change],
                  spare: dict[str, model.Index]) -> tuple[list[Change], list[Change]]:
    """``keys`` and ``indexes`` with ``spare`` (valid indexes that ``indexes`` drops) put to use where they fit."""
    used: set[str] = set()

    def claim(names: list[str], wanted: model.Index) -> str | None:
        found = next((n for n in names if n in spare and n not in used and _same(spare[n], wanted)), None)
        if found is not None:
            used.add(found)
        return found

    def reuse(change: Change) -> Change:
        match change:
            case ReplaceKey(new=new):
                names = [temporary_index_name(new.name), *sorted(spare)]
                return replace(change, using_index=claim(names, key_index(new)))
            case ReplaceIndex(new=new):
                return replace(change, prebuilt=claim([temporary_index_name(new.name)], new) is not None)
            case AddPrimaryKey(key=key) | AddUnique(constraint=key):
                names = [key.name, temporary_index_name(key.name), *sorted(spare)]
                return replace(change, using_index=claim(names, key_index(key)))
        return change

    keys, indexes = [reuse(c) for c in keys], [reuse(c) for c in indexes]
    return keys, [s for c in indexes if not (isinstance(c, DropIndex) and c.index.name in used) for s in _split(c)]


def _split(change: Change) -> list[Change]:
    """An INVALID index (a failed build) protects nothing: replaced by drop + create, without a temporary name."""
    if isinstance(change, ReplaceIndex) and not change.prebuilt and not change.old.valid:
        return [DropIndex(table=change.table, index=change.old), CreateIndex(table=change.table, index=change.new)]
    return [change]


def _same(index: model.Index, wanted: model.Index) -> bool:
    """Equal definitions: names and comments aside."""
    return replace(index, name="", comment=None) == replace(wanted, name="", comment=None)
