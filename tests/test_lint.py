"""Postback lint: one test per kind, clean postbacks stay clean, and it never raises."""

from __future__ import annotations

from itertools import islice
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.capture.keys import extract_keys
from sandbox.capture.lint import (
    ISO_4217,
    LINT_KINDS,
    MAX_WARNINGS,
    _json,
    _key_warnings,
    _value_warnings,
    lint_capture,
    macro_in,
)
from sandbox.capture.record import parse_query


def lint_query(query_string: str) -> list[dict[str, str]]:
    query = parse_query(query_string)
    return lint_capture(query, None, None, extract_keys(query, None, None))


def kinds(warnings: list[dict[str, str]]) -> list[str]:
    return [w["kind"] for w in warnings]


@pytest.mark.parametrize(
    "query_string,kind,where",
    [
        ("click_id={click_id}", "unreplaced_macro", "query.click_id"),
        ("click_id=%7Bclick_id%7D", "unreplaced_macro", "query.click_id"),
        ("idfa=(idfa)", "unreplaced_macro", "query.idfa"),
        ("idfa=${(user_data.idfa)!}", "unreplaced_macro", "query.idfa"),
        ("sub=%25%25CLICK_ID%25%25", "unreplaced_macro", "query.sub"),
        ("s2=%23s2%23", "unreplaced_macro", "query.s2"),
        ("cid=REPLACE", "unreplaced_macro", "query.cid"),
        ("net={cl?NetworkName}", "unreplaced_macro", "query.net"),
        ("click_id=", "empty_value", "query.click_id"),
        ("event_name=null", "empty_value", "query.event_name"),
        ("event=%20", "empty_value", "query.event"),
        ("click_id=a%2520b", "double_encoded", "query.click_id"),
        ("click_id=%257Bclick_id%257D", "double_encoded", "query.click_id"),
        ("idfa=00000000-0000-0000-0000-000000000000", "zero_device_id", "query.idfa"),
        ("gaid=00000000-0000-0000-0000-000000000000", "zero_device_id", "query.gaid"),
        ("revenue=1,99", "non_numeric_revenue", "revenue"),
        ("revenue=$4.99", "non_numeric_revenue", "revenue"),
        ("currency=EURO", "unknown_currency", "currency"),
        ("currency=XYZ", "unknown_currency", "currency"),
    ],
)
def test_each_kind_is_found(query_string: str, kind: str, where: str):
    warnings = lint_query(query_string)
    assert kind in kinds(warnings), warnings
    found = next(w for w in warnings if w["kind"] == kind)
    assert found["where"] == where and found["message"]


def test_every_kind_has_a_test_case():
    covered = {"unreplaced_macro", "empty_value", "double_encoded", "zero_device_id",
               "non_numeric_revenue", "unknown_currency"}
    assert covered == set(LINT_KINDS)


@pytest.mark.parametrize(
    "query_string",
    [
        "click_id=abc123&event=install&revenue=1.99&currency=USD&idfa=8C6CBC0D-5F43-4765-A6E6-84DFF3D24707",
        "click_id=c-1&revenue=-0.5e2&currency=jpy",
        "model=Galaxy%20S21%20(SM-G991B)&note=50%25%20off&tag=%23launch",
        "other_param=&sub5=",  # empty values on keys nobody requires
        "",
    ],
)
def test_clean_postbacks_have_no_warnings(query_string: str):
    assert lint_query(query_string) == []


def test_form_and_json_values_are_linted():
    form = {"gps_adid": ["00000000-0000-0000-0000-000000000000"]}
    body: Any = {"data": {"click_id": "{click_id}", "items": [{"sku": "%2520"}]},
                 "event_name": None}
    warnings = lint_capture({}, form, body, extract_keys({}, form, body))
    assert {(w["kind"], w["where"]) for w in warnings} == {
        ("zero_device_id", "form.gps_adid"),
        ("unreplaced_macro", "json.data.click_id"),
        ("double_encoded", "json.data.items[0].sku"),
        ("empty_value", "json.event_name"),
    }


def test_lint_is_recorded_with_the_capture(client):
    client.get("/pb/net?click_id={click_id}&currency=usdollar")
    capture = client.get("/api/postbacks?limit=1").json["postbacks"][0]
    assert kinds(capture["lint"]) == ["unreplaced_macro", "unknown_currency"]


def test_warnings_are_capped():
    query = "&".join(f"p{i}={{m{i}}}" for i in range(200))
    assert len(lint_query(query)) == MAX_WARNINGS


def test_iso_4217_list_holds_the_common_codes():
    assert {"USD", "EUR", "JPY", "GBP", "INR", "BRL", "KRW", "TRY", "IDR"} <= ISO_4217
    assert "HRK" not in ISO_4217  # withdrawn in 2023


@pytest.mark.parametrize("text", ["plain", "1.99", "Bearer x", "a(b)c", "x{", "}"])
def test_plain_text_is_not_a_macro(text: str):
    assert macro_in(text) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(
    query=st.dictionaries(st.text(max_size=12), st.lists(st.text(max_size=30), max_size=3)),
    body=json_values,
)
def test_lint_never_raises_and_names_known_kinds(query: dict[str, list[str]], body: Any):
    warnings = lint_capture(query, query or None, body, extract_keys(query, None, body))
    assert len(warnings) <= MAX_WARNINGS
    assert all(w["kind"] in LINT_KINDS for w in warnings)


def every_warning(query: dict[str, list[str]], form: dict[str, list[str]] | None, body: Any,
                  keys: dict[str, str | None]) -> list[dict[str, str]]:
    """The plain reading of the rules: every value checked, no pre-test, then the cap."""
    found = [w for prefix, source in (("query", query), ("form", form or {}))
             for name, values in source.items() for value in values
             for w in _value_warnings(f"{prefix}.{name}", name, value)]
    found += list(islice(_json(body), MAX_WARNINGS)) + list(_key_warnings(keys))
    return found[:MAX_WARNINGS]


macro_texts = st.text(alphabet="{}()[]%#$<_ aZ09-.", max_size=12) | st.sampled_from(
    ["{click_id}", "REPLACE", "%25AB", "null", " ", "", "0000-0000-0000", "4,99", "usd"])
multi = st.dictionaries(st.sampled_from(["click_id", "idfa", "revenue", "currency", "x", "sub1"])
                        | st.text(max_size=6), st.lists(macro_texts, max_size=3), max_size=6)


@given(query=multi, form=st.none() | multi, body=json_values | macro_texts)
def test_lint_finds_what_checking_every_value_finds(query, form, body):
    keys = extract_keys(query, form, body)
    assert lint_capture(query, form, body, keys) == every_warning(query, form, body, keys)
