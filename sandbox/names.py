"""The one rule for names a user gives: channels, networks, campaigns and scenarios.

Letters, digits, ``.``, ``_`` and ``-``, 1 to 64 of them, but not ``.`` or ``..``: an HTTP
client folds those path segments away, so a channel of that name could never be reached.
"""

import re

NAME_PATTERN = r"^(?!\.\.?$)[A-Za-z0-9._-]{1,64}$"  # JSON Schema and OpenAPI text
NAME = re.compile(NAME_PATTERN)


def is_name(text: str) -> bool:
    """Whether ``text`` is a valid channel, network, campaign or scenario name."""
    return NAME.fullmatch(text) is not None
