"""Compact JSON text (``separators=(",", ":")``, ``ensure_ascii=False``) for hot paths.

The same text as ``json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode``, minus
the Python-level wrapper, which is a third of the cost for the small objects every capture and
every rendered postback encodes. Without circular reference checks: what is encoded here is a
tree (parsed queries, headers, JSON bodies, event parameters); a cycle would raise
RecursionError instead of ValueError.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring
from typing import Any


def _encoder() -> Callable[[Any], str]:
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    make = json.encoder.c_make_encoder  # type: ignore[attr-defined]
    if make is None:  # not CPython's C accelerator
        return encoder.encode
    chunks = make(None, encoder.default, encode_basestring, None, ":", ",", False, False, True)

    def encode(value: Any) -> str:
        return "".join(chunks(value, 0))
    return encode


compact_json = _encoder()
