"""The number rule, one definition for SQL and Python: what counts as a number.

An int or float (never a bool), or a *numeric string*: ``NUMBER_RE`` in full (``12``,
``-0.5``, ``.5``, ``1e3``; not ``" 1"``, ``inf``, ``0x10``, ``1_000``). The store registers
``sandbox_number(x)`` on every connection it opens, so compiled conditions compare numbers
exactly as the matcher (``sandbox/query/operators.py``) does; SQLite's CAST of text to REAL is
not correctly rounded and accepts "12abc".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_number(value: object) -> bool:
    """A JSON number: int or float, not bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_number(value: object) -> float | None:
    """The value as a float when it is a number or a numeric string, else None."""
    if is_number(value):
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int beyond float range
            return math.inf if value > 0 else -math.inf  # type: ignore[operator]
    if isinstance(value, str) and NUMBER_RE.fullmatch(value):
        return float(value)
    return None


# Registered on every connection (name -> (arity, function)): sandbox_number(x) is the float
# of a number or numeric string, else NULL.
SQL_FUNCTIONS: dict[str, tuple[int, Callable[[object], float | None]]] = {
    "sandbox_number": (1, to_number),
}
