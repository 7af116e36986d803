"""The headers every answer under /ui/ carries: the inspector's pages, its error and 404
pages, and the login form and redirects the admin gate answers before Flask.

Captured content is hostile: the Content-Security-Policy allows scripts and styles from
/static/ only, so even an escaping mistake cannot run a script.
"""

from __future__ import annotations

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
)


def is_page(path: str) -> bool:
    """Whether ``path`` is one of the inspector's (under /ui)."""
    return path == "/ui" or path.startswith("/ui/")
