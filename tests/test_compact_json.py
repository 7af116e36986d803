"""compact_json writes exactly what json.dumps writes with the same options, for any tree."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.compact_json import compact_json

texts = st.text(max_size=12)  # lone surrogates and control characters included
leaves = (st.none() | st.booleans() | st.integers() | st.floats() | texts
          | st.sampled_from([math.inf, -math.inf, 2**70, -0.0]))
trees = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@given(trees)
def test_same_text_as_json_dumps(value: object) -> None:
    assert compact_json(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_what_json_cannot_encode_is_the_same_type_error() -> None:
    with pytest.raises(TypeError, match="bytes is not JSON serializable"):
        compact_json({"body": b"raw"})
