"""Compact JSON text (``separators=(",", ":")``, ``ensure_ascii=False``) for hot paths.

The same text as ``json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode``, minus
the Python-level wrapper, which is a third of the cost for the small objects every capture and
every rendered postback encodes. Without circular reference checks: what is encoded here is a
tree (parsed queries, headers, JSON bodies, event parameters); a cycle would raise
RecursionError instead of ValueError.

Measured: bench_generate --sizes 100000 --jobs 1, 112,750 and 113,389 postbacks/s against
107,210 and 102,459 with ``json.dumps`` (x1.05-1.11); on bench_capture it is inside the noise.
orjson rendered 114,957 and 110,890 but writes other text for some values (``1e-05`` as
``0.00001``, NaN as ``null``, lone surrogates refused), and stored text must not change.
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
