"""Vendor macro dialects: any template of literal text and vendor macros reads as the same
literal text around the catalogue macros; an unknown vendor macro is a clear error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.braces import Field, TemplateError, split_braces
from sandbox.errors import ScenarioError
from sandbox.scenarios.dialects import DIALECTS, Dialect
from sandbox.scenarios.load import scenario_from_data
from sandbox.scenarios.macro_catalogue import CATALOGUE
from tests.scenario_helpers import scenario_data

# Literal text that cannot open a macro in the dialect (braces are literal where macros are
# not written with them, and must come out as literal braces).
LITERALS = {
    "appsflyer": "xyz=&/%.-{}$<#)",
    "branch": "xyz=&/%.-{}()<",
    "adjust": "xyz=&/%.-()$<#}",
    "singular": "xyz=&/%.-()$<#}",
    "kochava": "xyz=&/%.-()$<#}",
}


def pieces(dialect: Dialect) -> st.SearchStrategy[list[tuple[str, str]]]:
    literal = st.text(alphabet=LITERALS[dialect.name], min_size=1, max_size=6)
    macro = st.sampled_from(sorted(dialect.vendor_names().items()))
    return st.lists(st.one_of(literal.map(lambda text: ("text", text)),
                              macro.map(lambda pair: ("macro", pair))), max_size=6)


def expected_parts(parts: list[tuple[str, object]]) -> list[object]:
    merged: list[object] = []
    for kind, value in parts:
        if kind == "text" and merged and isinstance(merged[-1], str):
            merged[-1] += value  # type: ignore[operator]
        elif kind == "text":
            merged.append(value)
        else:
            merged.append(("field", value[1]))  # type: ignore[index]
    return merged


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_every_vendor_macro_names_a_catalogue_macro(name: str):
    assert set(DIALECTS[name].vendor_names().values()) <= set(CATALOGUE)


@pytest.mark.parametrize("name", sorted(DIALECTS))
def test_a_template_reads_as_its_text_around_catalogue_macros(name: str):
    dialect = DIALECTS[name]

    @given(pieces(dialect))
    def check(parts: list[tuple[str, object]]) -> None:
        source = "".join(value if kind == "text" else value[0]  # type: ignore[index]
                         for kind, value in parts)
        read = [("field", part.name) if isinstance(part, Field) else part
                for part in split_braces(dialect.translate(source))]
        assert read == expected_parts(parts)

    check()


@pytest.mark.parametrize(("name", "template", "shown"), [
    ("branch", "https://x.test/?i=${(user_data.idfaa)!}", "${(user_data.idfaa)!}"),
    ("branch", "https://x.test/?f=<#if lat>1<#else>0</#if>", "<#if lat>"),
    ("singular", "https://x.test/?i={IDFAA}", "{IDFAA}"),
    ("kochava", "https://x.test/?i={device_idfa}", "{device_idfa}"),
    ("appsflyer", "https://x.test/?i=(idfaa)", "(idfaa)"),
])
def test_an_unknown_vendor_macro_is_named_with_the_known_ones(name: str, template: str,
                                                             shown: str):
    with pytest.raises(TemplateError) as raised:
        DIALECTS[name].translate(template)
    message = raised.value.message
    assert shown in message and f"unknown {name} macro" in message
    assert "did you mean" in message or "<#if" in shown


def test_singular_passthrough_takes_any_network_name():
    assert DIALECTS["singular"].translate("?a={cl?Acme Ads}&b={psid?X}") == (
        "?a={click_id}&b={site_id}")


def test_a_network_with_a_dialect_loads_its_templates_and_names_a_bad_macro():
    data = scenario_data()
    network = data["networks"][0]
    network["macros"] = "singular"
    network["postbacks"] = {"install": "http://127.0.0.1:9/pb/x?ifa={IDFA}&cl={cl?Me}",
                            "event": "http://127.0.0.1:9/pb/x?ev={EVTNAME}&a={AMOUNT}"}
    scenario = scenario_from_data(data)
    assert scenario.networks[0].install is not None
    network["postbacks"]["install"] = "http://127.0.0.1:9/pb/x?ifa={IDFAA}"
    with pytest.raises(ScenarioError) as raised:
        scenario_from_data(data)
    assert "postbacks.install" in str(raised.value) and "{IDFAA}" in str(raised.value)
