"""The operators of the assertion language: what each one means on a single value.

These rules are the single definition of a match;
sandbox/query/sql_conditions.py translates the same
rules into SQL and a property test keeps the two in agreement.

- Numbers: the number rule of ``sandbox/store/numbers.py`` (an int or float, never a bool,
  or a numeric string such as ``12``, ``-0.5``, ``1e3``). Numbers compare as floats.
- Equality: two strings compare exactly; if either side is a number, both must be numbers
  (numeric strings count) and equal as floats; true/false/null compare with a string as their
  JSON text; objects and lists compare as canonical JSON.
"""

from __future__ import annotations

import json

from sandbox.query.user_regex import MAX_PATTERN_LENGTH, MAX_REGEX_INPUT, UserRegex
from sandbox.store.numbers import NUMBER_RE, is_number, to_number

__all__ = [
    "EQUALITY_OPERATORS",
    "MAX_IN_VALUES",
    "MAX_PATTERN_LENGTH",
    "MAX_REGEX_INPUT",
    "NUMBER_RE",
    "NUMERIC_OPERATORS",
    "OPERATORS",
    "compare",
    "contains",
    "is_container",
    "is_number",
    "regex_matches",
    "text_form",
    "to_number",
    "values_equal",
]

OPERATORS = ("eq", "ne", "in", "contains", "regex", "gt", "gte", "lt", "lte", "exists")
NUMERIC_OPERATORS = ("gt", "gte", "lt", "lte")
EQUALITY_OPERATORS = ("eq", "ne", "in")
MAX_IN_VALUES = 200


def is_container(value: object) -> bool:
    return isinstance(value, dict | list)


def text_form(value: object) -> str | None:
    """How a scalar reads as text: strings as they are, others as JSON. None for containers."""
    if isinstance(value, str):
        return value
    if is_container(value):
        return None
    return json.dumps(value)


def _canonical(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def values_equal(expected: object, actual: object) -> bool:
    if is_container(expected) or is_container(actual):
        both = is_container(expected) and is_container(actual)
        return both and _canonical(expected) == _canonical(actual)
    if isinstance(expected, str) and isinstance(actual, str):
        return expected == actual
    if is_number(expected) or is_number(actual):
        left, right = to_number(expected), to_number(actual)
        return left is not None and right is not None and left == right
    return text_form(expected) == text_form(actual)


def contains(operand: object, actual: object) -> bool:
    """Substring of a string, or an item of a list."""
    if isinstance(actual, list):
        return any(values_equal(operand, item) for item in actual)
    return isinstance(actual, str) and isinstance(operand, str) and operand in actual


def regex_matches(pattern: UserRegex, actual: object) -> bool:
    """A search over the value's text form (its first MAX_REGEX_INPUT characters), on RE2."""
    text = text_form(actual)
    return text is not None and pattern.search(text)


def compare(operator: str, threshold: float, actual: object) -> bool:
    """gt/gte/lt/lte: a value that is not a number never matches."""
    number = to_number(actual)
    if number is None:
        return False
    if operator == "gt":
        return number > threshold
    if operator == "gte":
        return number >= threshold
    if operator == "lt":
        return number < threshold
    return number <= threshold
