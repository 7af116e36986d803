"""A capture's body as ``/api/postbacks/<id>/body`` serves it: exact with ``reveal``, else
with credentials masked by the rules every view follows (``capture_view.mask_view``).

Masking a body keeps its bytes as they came except for the credentials in it:

- every value a view masks (credential-named headers, query and form fields, JSON keys, and
  the configured channel secrets) is replaced wherever it appears in the body, as the views do
  (values of at least ``MIN_SECRET_LENGTH`` characters, raw and URL-encoded);
- then, whatever their length and whether or not the body was parsed, the value of every
  credential-named ``"key": value`` pair (JSON text) and ``name=value`` pair (a form or any
  query-like text) becomes ``****``.

A body with nothing to mask is served as the exact bytes. A compressed body is masked decoded and
served compressed again (same Content-Encoding, other bytes); one the sandbox could not decode
is withheld (403 ``body_not_masked``) unless revealed.
"""

from __future__ import annotations

import gzip
import re
import zlib

from sandbox.capture.trust import configured_secrets
from sandbox.capture.view import MASK, capture_view, is_sensitive, mask_view
from sandbox.errors import SandboxError
from sandbox.store import Store
from sandbox.store.records import StoredCapture

_JSON_PAIR = re.compile(
    r'"(?P<name>[^"\\]{1,200})"(?P<colon>\s*:\s*)'
    r'(?P<value>"[^"\\]*(?:\\.[^"\\]*)*"|-?\d[\d.eE+-]*)', re.DOTALL)
_QUERY_PAIR = re.compile(
    r"""(?P<lead>^|[&;?\s"'])(?P<name>[^=&;?\s"']{1,200})=(?P<value>[^&;\s"']*)""")


def _json_pair(match: re.Match[str]) -> str:
    if not is_sensitive(match["name"]) or match["value"] == '""':
        return match[0]
    return f'"{match["name"]}"{match["colon"]}"{MASK}"'


def _query_pair(match: re.Match[str]) -> str:
    if not is_sensitive(match["name"]) or not match["value"]:
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def mask_text(text: str) -> str:
    """Credential-named pairs masked in place, in JSON text and in query-like text."""
    return _QUERY_PAIR.sub(_query_pair, _JSON_PAIR.sub(_json_pair, text))


def shown_body(store: Store, capture_id: int, *, reveal: bool) -> tuple[bytes, str] | None:
    """(body, content type) of a capture: exact with ``reveal``, else masked (see above)."""
    capture = store.captures.get(capture_id)
    if capture is None:
        return None
    content_type = capture.content_type or "application/octet-stream"
    if reveal:
        return capture.body, content_type
    secrets = configured_secrets(store.channels.verifications())
    return _masked(capture, secrets), content_type


def _masked(capture: StoredCapture, secrets: list[str]) -> bytes:
    raw = capture.body
    encoding = capture.content_encoding if capture.content_encoding != "identity" else None
    payload = raw
    if encoding:
        if capture.decoded_body is None:
            raise SandboxError(
                f"the body is {encoding}-encoded and was not decoded, so its credentials "
                "cannot be masked: add ?reveal=1 for the exact bytes",
                code="body_not_masked", status=403, field="reveal")
        payload = capture.decoded_body
    # Latin-1 maps every byte to one character and back: a body that is not UTF-8 is masked
    # as text and served as the same bytes, but the credentials.
    try:
        text, charset = payload.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, charset = payload.decode("latin-1"), "latin-1"
    view = capture_view(capture)
    view["body"] = text
    masked = mask_text(mask_view(view, secrets)["body"]).encode(charset)
    if masked == payload:
        return raw  # nothing to mask: the exact bytes, still compressed if they came so
    return _compress(masked, encoding) if encoding else masked


def _compress(data: bytes, encoding: str) -> bytes:
    """The masked body in the capture's Content-Encoding, so a replay of it still decodes."""
    if encoding in ("gzip", "x-gzip"):
        return gzip.compress(data)
    return zlib.compress(data)
