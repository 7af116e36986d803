"""The one {name} template syntax: macros and canonical strings read it the same way."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.braces import Field, TemplateError, split_braces
from sandbox.scenarios.macros import compile_text
from sandbox.signing.canonical import parse_template

braces_text = st.text(alphabet=st.sampled_from("ab{}._ "), max_size=24)


@given(braces_text)
def test_a_template_splits_into_its_own_text_or_names_the_spot(text: str) -> None:
    try:
        parts = split_braces(text)
    except TemplateError as error:
        assert "at character" in error.message and error.code == "invalid_template"
        return
    rebuilt = "".join(p.replace("{", "{{").replace("}", "}}") if isinstance(p, str)
                      else "{" + p.name + "}" for p in parts)
    again = split_braces(rebuilt)  # positions move with escaping; the parts must not
    assert [p if isinstance(p, str) else p.name for p in again] == [
        p if isinstance(p, str) else p.name for p in parts]
    assert all(p for p in parts if isinstance(p, str))  # no empty literal


@given(braces_text)
def test_macros_and_canonical_strings_agree_on_the_syntax(text: str) -> None:
    """A syntax error is the same error for both; only the names each knows differ."""
    try:
        split_braces(text)
    except TemplateError as error:
        for parse in (compile_text, parse_template):
            with pytest.raises(TemplateError) as caught:
                parse(text)
            assert caught.value.message == error.message


@pytest.mark.parametrize(("text", "parts"), [
    ("a}b", ("a}b",)),
    ("{{x}}", ("{x}",)),
    ("x{body}y", ("x", Field("body", 1), "y")),
])
def test_split(text: str, parts: tuple) -> None:
    assert split_braces(text) == parts
