"""A stored capture becomes the JSON view every face shows and the matcher reads.

``capture_view`` is the exact record (the matcher reads it); ``shown_view`` is what people see:
the same view with credentials masked unless revealed, and bounded whatever was stored: texts
cut at ``VIEW_LIMIT`` and a parsed form or JSON body left out when its text is longer, with
``truncated`` saying so and ``body_url`` where the exact bytes are.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

from sandbox.capture.channels import default_body
from sandbox.store.records import StoredCapture

VIEW_LIMIT = 64 * 1024  # characters of each body text, and of a parsed body's JSON, shown


def body_fields(raw: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 text where the bytes are valid UTF-8, else base64."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"


def _parsed(text: str | None, limit: int | None, omitted: list[str], name: str) -> Any:
    if text is None:
        return None
    if limit is not None and len(text) > limit:
        omitted.append(name)
        return None
    return json.loads(text)


def capture_view(capture: StoredCapture, *, parsed_limit: int | None = None) -> dict[str, Any]:
    """The exact record; with ``parsed_limit``, a form or JSON body whose stored text is longer
    is left out (named in ``truncated_fields``) rather than loaded."""
    omitted: list[str] = []
    raw = capture.body
    body, encoding = body_fields(raw)
    matched = capture.decoded_body if capture.decoded_body is not None else raw
    headers = capture.response_headers
    response_body = capture.response_body
    if response_body is None:
        response_body = default_body(capture.id)
        headers = {"Content-Type": "application/json", **headers}
    return {
        "id": capture.id,
        "channel": capture.channel,
        "method": capture.method,
        "path": capture.path,
        "query_string": capture.query_string,
        "query": capture.query,
        "headers": capture.headers,
        "content_type": capture.content_type,
        "content_encoding": capture.content_encoding,
        "body": body,
        "body_encoding": encoding,
        "body_text": matched.decode("utf-8", "replace"),
        "form": _parsed(capture.form_text, parsed_limit, omitted, "form"),
        "json": _parsed(capture.json_text, parsed_limit, omitted, "json"),
        "body_note": capture.body_note,
        "body_size": capture.body_size,
        "body_text_size": len(matched),
        "body_url": f"/api/postbacks/{capture.id}/body",
        "truncated": bool(omitted),
        "truncated_fields": omitted,
        "remote_addr": capture.remote_addr,
        "received_at": capture.received_at,
        "keys": dict(capture.keys),
        "verdict": capture.verdict,
        "verdict_detail": capture.verdict_detail,
        "lint": capture.lint,
        "refused": capture.refused,
        "response": {"status": capture.response_status, "headers": headers,
                     "body": response_body},
        "forward": capture.forward,  # the upstream answer of a tee channel
    }


# Masking: one rule for every view the API, exports and the inspector show.
# A header, query/form parameter or JSON key whose NAME says it holds a credential has its
# value masked, and every value found that way (and every configured channel secret) is then
# masked wherever else it appears in the view: the raw query string, the body, the verdict.
MASK = "****"
SENSITIVE_NAME = re.compile(
    r"token|secret|passw|api[-_]?key|authori[sz]|authentic|^auth$|cookie|sectkn|session"
    r"|dev[-_]?key|credential",
    re.IGNORECASE,
)
MIN_SECRET_LENGTH = 4  # shorter values are masked where named, not searched for elsewhere


def is_sensitive(name: str) -> bool:
    return bool(SENSITIVE_NAME.search(name))


def _mask_header(value: str) -> tuple[str, str]:
    """(masked value, the secret part): an auth scheme such as Bearer stays readable."""
    scheme, space, rest = value.partition(" ")
    if space and rest.strip() and scheme.isalpha() and len(scheme) <= 16:
        return f"{scheme} {MASK}", rest.strip()
    return MASK, value


def _mask_named(value: Any, found: set[str]) -> Any:
    """Mask JSON objects' sensitive keys, collecting the values masked."""
    if isinstance(value, dict):
        masked = {}
        for key, item in value.items():
            if is_sensitive(str(key)) and isinstance(item, str | int | float) and item != "":
                found.add(str(item))
                masked[key] = MASK
            else:
                masked[key] = _mask_named(item, found)
        return masked
    if isinstance(value, list):
        return [_mask_named(item, found) for item in value]
    return value


def _mask_multi(source: dict[str, list[str]] | None, found: set[str]) -> Any:
    if source is None:
        return None
    masked = {}
    for name, values in source.items():
        if is_sensitive(name):
            found.update(v for v in values if v)
            masked[name] = [MASK if v else v for v in values]
        else:
            masked[name] = values
    return masked


def _replace_everywhere(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {key: _replace_everywhere(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_everywhere(item, secrets) for item in value]
    return value


def mask_view(view: dict[str, Any], secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A capture view with credentials masked (``secrets``: configured secret values)."""
    found: set[str] = set(secrets)
    masked = dict(view)
    headers = []
    for name, value in view.get("headers") or []:
        if is_sensitive(name) or name.lower() == "proxy-authorization":
            shown, secret = _mask_header(value)
            found.add(secret)
            headers.append([name, shown])
        else:
            headers.append([name, value])
    masked["headers"] = headers
    masked["query"] = _mask_multi(view.get("query"), found)
    masked["form"] = _mask_multi(view.get("form"), found)
    masked["json"] = _mask_named(view.get("json"), found)
    masked["verdict_detail"] = _mask_named(view.get("verdict_detail"), found)
    variants = set()
    for secret in found:
        if len(secret) >= MIN_SECRET_LENGTH:
            variants.update({secret, quote(secret, safe=""), quote_plus(secret, safe="")})
    ordered = sorted(variants, key=len, reverse=True)  # longest first: no partial leftovers
    if not ordered:
        return masked
    return {key: _replace_everywhere(value, ordered) for key, value in masked.items()}


def cut_view(view: dict[str, Any], limit: int = VIEW_LIMIT) -> dict[str, Any]:
    """The view with ``body`` and ``body_text`` cut at ``limit`` characters (a base64 body at
    whole bytes), each cut named in ``truncated_fields``."""
    cut = dict(view)
    omitted = list(view["truncated_fields"])
    if len(view["body"]) > limit:
        keep = limit - limit % 4 if view["body_encoding"] == "base64" else limit
        cut["body"] = view["body"][:keep]
        omitted.append("body")
    if len(view["body_text"]) > limit:
        cut["body_text"] = view["body_text"][:limit]
        omitted.append("body_text")
    cut["truncated"], cut["truncated_fields"] = bool(omitted), omitted
    return cut


def shown_view(
    capture: StoredCapture, *, reveal: bool = False, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """The view the API, exports and the inspector show: masked unless ``reveal``, and bounded
    (masked before it is cut, so no secret is left half-shown at the cut)."""
    view = capture_view(capture, parsed_limit=VIEW_LIMIT)
    return cut_view(view if reveal else mask_view(view, secrets))
