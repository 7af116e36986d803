"""The capture path's own query and form parser reads exactly what urllib's parse_qs reads."""

from __future__ import annotations

from urllib.parse import parse_qs

from hypothesis import example, given
from hypothesis import strategies as st

from sandbox.capture.record import parse_query

QUERY_TEXT = st.one_of(
    st.text(alphabet="ab=&+%2F0e9Cé€ ;", max_size=40),
    st.text(max_size=40),
    st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6).map(
        lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
)


@given(QUERY_TEXT)
@example("a=1&a=2&b=&c&&d=%C3%A9+x&e=%zz&f=%e9&g=1=2")
def test_parse_query_agrees_with_parse_qs(text: str):
    assert parse_query(text) == parse_qs(text, keep_blank_values=True)
