"""The request shapes signing and verification work on, and byte-exact query-string helpers.

Query strings are edited as text, one ``&``-separated component at a time, so every component
the caller did not ask to change keeps its exact bytes (and so its signature).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit, urlunsplit

Headers = tuple[tuple[str, str], ...]

UNRESERVED = "-_.~"


def header_value(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, looked up case-insensitively."""
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def header_values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def query_pairs(raw_query: str) -> list[tuple[str, str]]:
    """Decoded ``(name, value)`` pairs in the order they were sent; blank values kept."""
    return parse_qsl(raw_query, keep_blank_values=True)


def encode_pairs(pairs: Sequence[tuple[str, str]]) -> str:
    """RFC 3986 encoding (space as %20, only unreserved characters left bare)."""
    return "&".join(
        f"{quote(name, safe=UNRESERVED)}={quote(value, safe=UNRESERVED)}" for name, value in pairs
    )


def _component_name(component: str) -> str:
    return unquote_plus(component.split("=", 1)[0])


def without_param(raw_query: str, name: str) -> str:
    """The raw query with every component named ``name`` removed, the rest byte-identical."""
    kept = [part for part in raw_query.split("&") if _component_name(part) != name]
    return "&".join(kept)


def with_param(raw_query: str, name: str, value: str) -> str:
    """The raw query with ``name=value`` set once, appended after the untouched components."""
    rest = without_param(raw_query, name)
    added = encode_pairs([(name, value)])
    return f"{rest}&{added}" if rest else added


@dataclass(frozen=True)
class OutgoingRequest:
    """A postback about to be sent: the delivery engine builds one, ``sign`` returns a new one."""

    method: str
    url: str
    headers: Headers = ()
    body: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple((k, v) for k, v in self.headers))

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def with_header(self, name: str, value: str) -> OutgoingRequest:
        """Set a header, replacing any existing one of that name (case-insensitively)."""
        kept = tuple((k, v) for k, v in self.headers if k.lower() != name.lower())
        return replace(self, headers=(*kept, (name, value)))

    def with_query_param(self, name: str, value: str) -> OutgoingRequest:
        parts = urlsplit(self.url)
        query = with_param(parts.query, name, value)
        return replace(self, url=urlunsplit(parts._replace(query=query)))


@dataclass(frozen=True)
class IncomingRequest:
    """What the receiver saw, exactly as it came.

    ``path`` is the raw (still percent-encoded) path and ``query_string`` the raw query without
    the ``?``: signatures cover bytes, so decoded forms would not verify.
    """

    method: str
    path: str
    query_string: str = ""
    headers: Headers = ()
    body: bytes = b""
    remote_addr: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple((k, v) for k, v in self.headers))

    @classmethod
    def from_outgoing(
        cls, request: OutgoingRequest, *, remote_addr: str | None = "127.0.0.1"
    ) -> IncomingRequest:
        """The request a receiver gets when ``request`` crosses the wire unchanged."""
        parts = urlsplit(request.url)
        return cls(
            method=request.method,
            path=parts.path or "/",
            query_string=parts.query,
            headers=request.headers,
            body=request.body,
            remote_addr=remote_addr,
        )

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


@dataclass(frozen=True)
class RequestView:
    """The parts a canonical string is built from, the signature parameter already removed."""

    method: str
    path: str
    raw_query: str
    headers: Headers = field(default=())
    body: bytes = b""

    @classmethod
    def of_outgoing(cls, request: OutgoingRequest, *, drop_param: str | None) -> RequestView:
        return cls.of_incoming(IncomingRequest.from_outgoing(request), drop_param=drop_param)

    @classmethod
    def of_incoming(cls, request: IncomingRequest, *, drop_param: str | None) -> RequestView:
        query = request.query_string
        if drop_param is not None:
            query = without_param(query, drop_param)
        return cls(
            method=request.method.upper(),
            path=request.path,
            raw_query=query,
            headers=request.headers,
            body=request.body,
        )
