"""The key table's precedence rule, written the obvious way, against the extractor."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sandbox.capture.keys import KEY_ALIASES, NUMBER_ONLY, extract_keys

ALIASES = sorted({alias for aliases in KEY_ALIASES.values() for alias in aliases})
NAMES = st.sampled_from(ALIASES) | st.text(max_size=6)
TEXTS = st.sampled_from(["", "x", "0", "4.99"]) | st.text(max_size=5)
MULTI = st.dictionaries(NAMES, st.lists(TEXTS, max_size=3), max_size=6)
JSON_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXTS
JSON_VALUES = JSON_LEAVES | st.lists(JSON_LEAVES, max_size=3) | st.dictionaries(
    st.text(max_size=3), JSON_LEAVES, max_size=2)


def plain_value(value: Any) -> str | None:
    if isinstance(value, list):
        value = next((item for item in value if item is not None and item != ""), None)
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) or None


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def plain_keys(query: dict, form: dict | None, body: Any) -> dict[str, str | None]:
    """Aliases in table order; for each alias, query, then form, then the JSON object."""
    sources = [query, form or {}, body if isinstance(body, dict) else {}]
    found: dict[str, str | None] = {}
    for key, aliases in KEY_ALIASES.items():
        found[key] = next((value for alias in aliases for source in sources
                           if alias in source
                           for value in [plain_value(source[alias])] if value is not None
                           and (alias not in NUMBER_ONLY or is_number(value))),
                          None)
    return found


@given(query=MULTI, form=st.none() | MULTI,
       body=st.none() | JSON_VALUES | st.dictionaries(NAMES, JSON_VALUES, max_size=6))
def test_extractor_follows_the_documented_precedence(query, form, body) -> None:
    assert extract_keys(query, form, body) == plain_keys(query, form, body)


def test_a_more_specific_alias_wins_over_an_earlier_source() -> None:
    keys = extract_keys({"cid": ["from-query"]}, None, {"click_id": "from-json"})
    assert keys["click_id"] == "from-json"
