"""The {macro} template language: catalogue coverage, encodings, escapes, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.scenarios.macro_catalogue import CATALOGUE
from sandbox.scenarios.macros import (
    BodyTemplate,
    TemplateError,
    TextTemplate,
    compile_text,
    to_text,
)
from sandbox.scenarios.time_text import iso, mmp_datetime
from sandbox.scenarios.url_template import UrlTemplate, url_value
from tests.scenario_helpers import sample_context

CTX = sample_context()
INSTALL_CTX = sample_context(with_event=False)
NO_VALUE_ON_IOS_PURCHASE = {"gaid", "gaid_sha1", "android_id", "search_query"}


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_every_macro_renders_in_every_encoding(name: str) -> None:
    value = CATALOGUE[name].get(CTX)
    if name in NO_VALUE_ON_IOS_PURCHASE:
        assert value is None
        expected_text = ""
    else:
        assert value is not None and value != ""
        expected_text = to_text(value)
    assert TextTemplate.compile(f"<{{{name}}}>").render(CTX) == f"<{expected_text}>"
    url = UrlTemplate.compile(f"https://x.test/p?v={{{name}}}").render(CTX)
    assert dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))["v"] == expected_text
    body = json.loads(BodyTemplate.compile({"v": f"{{{name}}}"}, "json").render(CTX))
    assert body["v"] == value


@pytest.mark.parametrize(
    ("name", "expected"),
    [("event_name", ""), ("revenue", ""), ("click_id", "c8f1e2"), ("activity_kind", "install")],
)
def test_event_macros_are_empty_on_install_postbacks(name: str, expected: str) -> None:
    assert TextTemplate.compile(f"{{{name}}}").render(INSTALL_CTX) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [("install_unix", 1716208334), ("revenue", 4.59), ("wifi", True), ("att_status", 3),
     ("event_params", {"af_revenue": "4.59", "af_currency": "EUR"}), ("gaid", None)],
)
def test_a_json_string_that_is_one_macro_keeps_the_type(name: str, value: object) -> None:
    body = BodyTemplate.compile({"v": f"{{{name}}}", "s": f"x{{{name}}}"}, "json").render(CTX)
    document = json.loads(body)
    assert document["v"] == value
    assert document["s"] == "x" + to_text(value)


TRICKY = 'He said "hi" & left + 50% ☃ Zoë/?=#{}'


def tricky_context():  # type: ignore[no-untyped-def]
    ctx = sample_context()
    ctx.install.device.city = TRICKY
    return ctx


def test_url_values_are_percent_encoded_and_round_trip() -> None:
    url = UrlTemplate.compile("https://x.test/p/{city}?city={city}&a=1").render(tricky_context())
    parts = urlsplit(url)
    assert parse_qsl(parts.query) == [("city", TRICKY), ("a", "1")]
    assert "%20" in url and "+" not in parts.query and "☃" not in url
    assert parts.path == (
        "/p/He%20said%20%22hi%22%20%26%20left%20%2B%2050%25%20%E2%98%83%20Zo%C3%AB%2F%3F%3D%23%7B%7D")


def test_json_values_are_escaped_by_the_encoder() -> None:
    body = BodyTemplate.compile({"city": "{city}", "msg": "in {city}!"}, "json")
    document = json.loads(body.render(tricky_context()))
    assert document == {"city": TRICKY, "msg": f"in {TRICKY}!"}


def test_form_bodies_are_form_encoded() -> None:
    body = BodyTemplate.compile({"city": "{city}", "n": 5}, "form").render(tricky_context())
    text = body.decode()
    assert text.startswith("city=He+said+%22hi%22+%26+left+%2B+50%25")
    assert parse_qsl(text) == [("city", TRICKY), ("n", "5")]


def test_text_bodies_insert_values_as_they_are() -> None:
    body = BodyTemplate.compile("city={city}", "text").render(tricky_context())
    assert body.decode() == f"city={TRICKY}"


def test_headers_never_carry_line_breaks() -> None:
    ctx = sample_context()
    ctx.install.device.city = "a\r\nX-Evil: 1"
    assert TextTemplate.compile("{city}").render(ctx) == "a  X-Evil: 1"


@pytest.mark.parametrize(
    ("source", "rendered"),
    [("{{click_id}}", "{click_id}"), ("{{{click_id}}}", "{c8f1e2}"), ("a}b", "a}b"),
     ('{{"k": "{click_id}"}}', '{"k": "c8f1e2"}'), ("", "")],
)
def test_double_braces_are_literal(source: str, rendered: str) -> None:
    assert TextTemplate.compile(source).render(CTX) == rendered


@pytest.mark.parametrize(
    ("source", "message"),
    [("{clik_id}", "unknown macro {clik_id} (did you mean {click_id}?)"),
     ("{nonsense_zzz}", "unknown macro {nonsense_zzz}"),
     ("{Click_Id}", "{Click_Id} is not a macro name"),
     ("a { b", "'{' at character 2 opens no field"),
     ("{}", "{} is not a macro name")],
)
def test_bad_templates_are_errors(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        compile_text(source)
    assert caught.value.message.startswith(message)


def test_json_body_errors_name_the_spot() -> None:
    with pytest.raises(TemplateError) as caught:
        BodyTemplate.compile({"device": {"ids": ["{idfa}", "{idfb}"]}}, "json")
    assert caught.value.field == "device.ids.1"


def test_drop_empty_removes_parameters_and_keys_without_value() -> None:
    url = UrlTemplate.compile("https://x.test/cb?gps_adid={gaid}&idfa={idfa}&k=v{gaid}")
    assert url.render(CTX, drop_empty=True) == (
        "https://x.test/cb?idfa=8C6CBC0D-5F43-4765-A6E6-84DFF3D24707&k=v")
    assert url.render(CTX) == "https://x.test/cb?gps_adid=&idfa=8C6CBC0D-5F43-4765-A6E6-84DFF3D24707&k=v"
    body = BodyTemplate.compile({"gaid": "{gaid}", "idfa": "{idfa}"}, "json")
    assert json.loads(body.render(CTX, drop_empty=True)) == {"idfa": CTX.install.device.idfa}
    assert json.loads(body.render(CTX)) == {"gaid": None, "idfa": CTX.install.device.idfa}


@pytest.mark.parametrize("drop_empty", [False, True])
def test_bound_rendering_equals_full_rendering(drop_empty: bool) -> None:
    template = UrlTemplate.compile("https://x.test/e?c={click_id}&ev={event_name}&v={event_value}")
    finish = template.binder(drop_empty=drop_empty)(CTX)
    assert finish(CTX) == template.render(CTX, drop_empty=drop_empty)
    assert finish(CTX).startswith("https://x.test/e?c=c8f1e2&ev=af_purchase&v=%7B%22af_revenue")


# --- property: rendering replaces every macro, and only macros -----------------------------

literal_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
part = st.one_of(literal_text.map(lambda t: ("lit", t)),
                 st.sampled_from(sorted(CATALOGUE)).map(lambda n: ("macro", n)))


@given(st.lists(part, max_size=12))
def test_rendering_replaces_every_known_macro(parts: list[tuple[str, str]]) -> None:
    source = "".join(
        text.replace("{", "{{").replace("}", "}}") if kind == "lit" else f"{{{text}}}"
        for kind, text in parts
    )
    expected = "".join(
        text if kind == "lit" else to_text(CATALOGUE[text].get(CTX)) for kind, text in parts
    )
    template = TextTemplate.compile(source)
    assert template.render(CTX) == expected.replace("\r", " ").replace("\n", " ")


DROPPING_URLS = [
    "https://x.test/e?gps_adid={gaid}&idfa={idfa}&ev={event_name}&rev={revenue}&k=v",
    "https://x.test/e?a={search_query}&b={gaid}&c=x{event_name}&{event_name}={idfa}&flag",
    "https://x.test/{event_name}/cb?idfa={idfa}&kind={activity_kind}&when={event_datetime}#top",
    "https://x.test/e?only={gaid}",
]


@pytest.mark.parametrize("source", DROPPING_URLS)
@pytest.mark.parametrize("platform", ["ios", "android"])
@pytest.mark.parametrize("drop_empty", [False, True])
def test_compiled_urls_equal_plain_rendering(source: str, platform: str, drop_empty: bool) -> None:
    template = UrlTemplate.compile(source)
    finish = template.binder(drop_empty=drop_empty)(sample_context(platform=platform))
    for revenue in (4.59, 0.0):  # another event of the same install
        ctx = sample_context(platform=platform, revenue=revenue)
        expected = template.render(ctx, drop_empty=drop_empty)
        assert finish(ctx) == expected
        assert template.renderer(drop_empty=drop_empty)(ctx) == expected
    install = sample_context(platform=platform, with_event=False)
    assert template.renderer(drop_empty=drop_empty)(install) == template.render(
        install, drop_empty=drop_empty)


url_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                          blacklist_characters="#"), max_size=6)


@given(st.lists(st.one_of(url_text.map(lambda t: ("lit", t)),
                          st.sampled_from(sorted(CATALOGUE)).map(lambda n: ("macro", n))),
                max_size=10),
       st.booleans(), st.sampled_from(["ios", "android"]), st.sampled_from([TRICKY, "", "x y"]))
def test_compiled_urls_equal_plain_rendering_for_any_template(
    parts: list[tuple[str, str]], drop_empty: bool, platform: str, city: str,
) -> None:
    """Literals (quotes, backslashes, braces, unicode) never become code; every macro and
    every split of base and query renders as the plain renderer does."""
    query = "".join(
        text.replace("{", "{{").replace("}", "}}") if kind == "lit" else f"{{{text}}}"
        for kind, text in parts
    )
    template = UrlTemplate.compile(f"https://x.test/{{city}}/p?{query}#f{{{{'\\\"")
    ctx = sample_context(platform=platform)
    ctx.install.device.city = city
    expected = template.render(ctx, drop_empty=drop_empty)
    assert template.renderer(drop_empty=drop_empty)(ctx) == expected
    assert template.binder(drop_empty=drop_empty)(ctx)(ctx) == expected


@pytest.mark.parametrize("text", ["2026-01-05 14:03:07.123", "a b:c/d,e+f=g@h;i", "x%y&z",
                                  "é :", "Mozilla/5.0 (iPhone)", "plain", "A-B_c.d~e"])
def test_url_values_match_quote(text: str) -> None:
    assert url_value(text) == quote(text, safe="-._~")
    assert url_value(text) == quote(text, safe="-._~")  # and again, from the cache


@given(st.floats(min_value=-1e10, max_value=4e10))
def test_time_formats_match_datetime(moment: float) -> None:
    millis = int(moment * 1000 + 0.5)
    when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=millis // 1000)
    fraction = f".{millis % 1000:03d}"
    assert iso(moment) == when.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"
    assert mmp_datetime(moment) == when.strftime("%Y-%m-%d %H:%M:%S") + fraction
