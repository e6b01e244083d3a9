"""check_implies: a loosened CHECK is proven implied by the one it replaces; a tightened one never is."""

from __future__ import annotations

import pytest

from pgevolve.sqltext.implication import check_implies

TYPES = """(NOT (auto_data @? '$?(!(!(exists (@."usage")) || @."usage".type() == "string"))'::jsonpath))"""
ENUM_2 = ("""(NOT (auto_data @? '$?(!(!(exists (@."usage")) || @."usage".type() == "string" && """
          """(@."usage" == "commute" || @."usage" == "business")))'::jsonpath))""")
ENUM_3 = ("""(NOT (auto_data @? '$?(!(!(exists (@."usage")) || @."usage".type() == "string" && """
          """((@."usage" == "commute" || @."usage" == "business") || @."usage" == "pleasure")))'::jsonpath))""")
REQUIRED = """(NOT (auto_data @? '$?(!(exists (@."vin") && @."vin".type() == "string"))'::jsonpath))"""
OPTIONAL = """(NOT (auto_data @? '$?(!(!(exists (@."vin")) || @."vin".type() == "string"))'::jsonpath))"""
MIN_1900 = ("""(NOT (doc @? '$?(!(!(exists (@."year")) || @."year".type() == "number" && """
            """@."year" >= 1900))'::jsonpath))""")
MIN_1800 = MIN_1900.replace("1900", "1800")
ROOT_STRICT = ("""((jsonb_typeof(auto_data) = 'object'::text) AND (NOT (auto_data @? """
               """'$?(!(!(exists (@.keyvalue()?(@."key" != "vin")))))'::jsonpath)))""")
ROOT_TYPES = "(jsonb_typeof(auto_data) = 'object'::text)"
LENGTH = "((NOT (jsonb_typeof((auto_data #> '{vin}'::text[])) = 'string'::text)) OR (length(x) <= 17))"


@pytest.mark.parametrize(("old", "new"), [
    (ENUM_2, ENUM_3),  # an enum value added
    (ENUM_2, TYPES),  # enum removed
    (REQUIRED, OPTIONAL),  # no longer required
    (MIN_1900, MIN_1800),  # a lower minimum
    (ROOT_STRICT, ROOT_TYPES),  # strict to types: undeclared keys allowed
    (f"({REQUIRED} AND {LENGTH})", OPTIONAL),  # maxLength dropped, and optional
    (TYPES, TYPES),
])
def test_loosening_is_implied(old: str, new: str) -> None:
    assert check_implies(old, new)


@pytest.mark.parametrize(("old", "new"), [
    (ENUM_3, ENUM_2),  # an enum value removed
    (TYPES, ENUM_2),  # enum added
    (OPTIONAL, REQUIRED),  # now required
    (MIN_1800, MIN_1900),  # a higher minimum
    (ROOT_TYPES, ROOT_STRICT),
    (OPTIONAL, f"({OPTIONAL} AND {LENGTH})"),  # a maxLength added
    (TYPES, TYPES.replace('"usage"', '"make"')),  # another property
    (TYPES, TYPES.replace("auto_data", "home_data")),  # another column
    ("score > 0", "score >= 0"),  # plain SQL is only compared as text
])
def test_tightening_or_unrelated_is_not_implied(old: str, new: str) -> None:
    assert not check_implies(old, new)
