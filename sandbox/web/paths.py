"""The one table of the sandbox's own URL space: which prefixes are its routes rather than
captures, and which of those sit behind the admin gate.

Every other path (``/pb/<channel>/...`` above all) is a capture. ``entry.py`` dispatches on
``is_own_route``; ``auth.py`` guards on ``is_guarded``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Prefix:
    path: str
    guarded: bool  # behind the admin token / login cookie when the sandbox requires one


PREFIXES = (
    Prefix("/api", True),  # the JSON API
    Prefix("/ui", True),  # the inspector
    Prefix("/static", False),  # the inspector's assets
    Prefix("/c", False),  # the click tracker
    Prefix("/mmp", False),  # the fake MMP's ingest endpoints
)
PING_PATH = "/api/ping"  # answered before the app: liveness without the database
LOGIN_PATH = "/ui/login"
LOGOUT_PATH = "/ui/logout"
# Open under guarded prefixes: liveness, and the way in and out.
OPEN_PATHS = frozenset({"/api/health", PING_PATH, LOGIN_PATH, LOGOUT_PATH})
_OWN = tuple(prefix.path for prefix in PREFIXES)
_GUARDED = tuple(prefix.path for prefix in PREFIXES if prefix.guarded)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def is_own_route(path: str) -> bool:
    """Whether ``path`` is one of the sandbox's own routes (``/`` too), not a capture."""
    if path.startswith("/pb/"):  # the common case, decided at once
        return False
    return path in ("", "/") or _under(path, _OWN)


def is_guarded(path: str) -> bool:
    """Whether ``path`` needs the admin token when the sandbox requires one."""
    return path not in OPEN_PATHS and _under(path, _GUARDED)
