"""Does one CHECK imply another? A sound, incomplete test on PostgreSQL's canonical text.

Used for a shape that loosens (an enum value added, a property no longer
required, a bound or pattern removed, strict to types): every row satisfied
the old CHECK, so when old implies new, validating the new one cannot fail.

The test only answers True when the structure proves it: both sides are split
into SQL ``AND`` conjuncts; a conjunct ``NOT (col @? '$?(!(P))'::jsonpath)``
("no item breaks P") is compared by its jsonpath predicate P, parsed into
``&&``/``||``/``!`` over atoms that are compared as text; a lower or upper bound
implies a weaker one on the same path. Anything unrecognised is an atom, so an
unknown form is at worst "not proven", never a wrong True.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FORALL = re.compile(r"^NOT \((?P<col>.+?) @\? '(?P<path>(?:[^']|'')*)'::jsonpath\)$", re.DOTALL)
_PATH = re.compile(r"^(?P<base>(?:lax |strict )?\$(?:\[\*\])?)\?\(!\((?P<predicate>.*)\)\)$", re.DOTALL)
_BOUND = re.compile(r"^(?P<lhs>.+?) (?P<op>>=|<=|>|<) (?P<value>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Node:
    op: str  # "and", "or", "not", "atom"
    items: frozenset[_Node] = frozenset()
    text: str = ""


def check_implies(old: str, new: str) -> bool:
    """True when every row that satisfies CHECK (old) satisfies CHECK (new), as far as the text proves."""
    if old == new:
        return True
    olds, news = _conjuncts(old), _conjuncts(new)
    return all(any(_conjunct_implies(o, n) for o in olds) for n in news)


def _conjunct_implies(old: str, new: str) -> bool:
    if old == new:
        return True
    a, b = _forall(old), _forall(new)
    if a is None or b is None or a[:2] != b[:2]:
        return False
    return _implies(_parse(a[2]), _parse(b[2]))


def _forall(text: str) -> tuple[str, str, str] | None:
    """(column, base path, predicate) of ``NOT (col @? '<base>?(!(<predicate>))'::jsonpath)``."""
    match = _FORALL.match(_strip(text))
    path = _PATH.match(match["path"].replace("''", "'")) if match else None
    if match is None or path is None:
        return None
    return match["col"], path["base"], path["predicate"]


# -- SQL: top-level AND ---------------------------------------------------------------------------

def _conjuncts(expression: str) -> list[str]:
    text = _strip(expression)
    parts = _split(text, " AND ")
    if len(parts) == 1:
        return [text]
    return [c for part in parts for c in _conjuncts(part)]


def _strip(text: str) -> str:
    """Outer parentheses that enclose the whole text, removed."""
    text = text.strip()
    while text.startswith("(") and _closing(text, 0) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str, start: int) -> int:
    """Index of the parenthesis closing the one at ``start`` (quotes respected); -1 if none."""
    for i, depth in _outside_quotes(text, start):
        if depth == 0 and text[i] == ")":
            return i
    return -1


def _split(text: str, separator: str) -> list[str]:
    """``text`` cut at ``separator`` where it is outside parentheses and quotes."""
    parts, last = [], 0
    for i, depth in _outside_quotes(text):
        if i >= last and depth == 0 and text.startswith(separator, i):
            parts.append(text[last:i])
            last = i + len(separator)
    parts.append(text[last:])
    return [p.strip() for p in parts]


def _outside_quotes(text: str, start: int = 0) -> Iterator[tuple[int, int]]:
    """(index, parenthesis depth once it is read) of every character outside '...' and "..." from ``start``.

    The separators looked for (`` AND ``, ``||``, ``&&``) hold no quote or parenthesis,
    so the depth after such a character is the depth before it.
    """
    depth, quote, i = 0, "", start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        else:
            depth += (ch == "(") - (ch == ")")
            yield i, depth
        i += 1


# -- jsonpath predicates ----------------------------------------------------------------------------

def _parse(text: str) -> _Node:
    text = _strip(text)
    ors = _split(text, "||")
    if len(ors) > 1:
        return _flat("or", [_parse(p) for p in ors])
    ands = _split(text, "&&")
    if len(ands) > 1:
        return _flat("and", [_parse(p) for p in ands])
    if text.startswith("!(") and _closing(text, 1) == len(text) - 1:
        return _Node("not", frozenset({_parse(text[2:-1])}))
    return _Node("atom", text=text)


def _flat(op: str, nodes: list[_Node]) -> _Node:
    items: set[_Node] = set()
    for node in nodes:
        items |= node.items if node.op == op else {node}
    return _Node(op, frozenset(items))


def _implies(a: _Node, b: _Node) -> bool:
    if a == b or _bound_implies(a, b):
        return True
    if b.op == "and":
        return all(_implies(a, item) for item in b.items)
    if a.op == "or":
        return all(_implies(item, b) for item in a.items)
    if b.op == "or" and any(_implies(a, item) for item in b.items):
        return True
    return a.op == "and" and any(_implies(item, b) for item in a.items)


def _bound_implies(a: _Node, b: _Node) -> bool:
    """``x >= 5`` implies ``x >= 1``; ``x <= 5`` implies ``x <= 9``."""
    if a.op != "atom" or b.op != "atom":
        return False
    x, y = _BOUND.match(a.text), _BOUND.match(b.text)
    if x is None or y is None or x["lhs"] != y["lhs"]:
        return False
    u, v = float(x["value"]), float(y["value"])
    ops = (x["op"], y["op"])
    if ops in ((">=", ">="), (">", ">"), (">", ">=")):
        return u >= v
    if ops == (">=", ">"):
        return u > v
    if ops in (("<=", "<="), ("<", "<"), ("<", "<=")):
        return u <= v
    if ops == ("<=", "<"):
        return u < v
    return False
