"""Profile dicts become typed profiles, or a ConfigError naming the field."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.errors import ConfigError
from sandbox.signing import (
    HeaderTokenProfile,
    HmacProfile,
    IpAllowlistProfile,
    NoneProfile,
    QueryTokenProfile,
    SkanProfile,
    StandardWebhooksProfile,
    generate_private_key,
    parse_profile,
    profile_to_dict,
    public_key_b64,
)
from sandbox.signing.canonical import Segment, TemplateError, parse_template
from tests.signing_helpers import PROFILES, WEBHOOK_SECRET


@pytest.mark.parametrize(
    ("name", "expected_type"),
    [
        ("none", NoneProfile),
        ("query_token", QueryTokenProfile),
        ("header_bearer", HeaderTokenProfile),
        ("hmac_template", HmacProfile),
        ("standard_webhooks", StandardWebhooksProfile),
    ],
)
def test_each_kind_parses_to_its_type(name: str, expected_type: type) -> None:
    assert type(parse_profile(PROFILES[name])) is expected_type


def test_defaults_are_filled_in() -> None:
    hmac_profile = parse_profile({"kind": "hmac", "secret": "s"})
    assert isinstance(hmac_profile, HmacProfile)
    assert (hmac_profile.canonical, hmac_profile.algorithm, hmac_profile.encoding) == (
        "raw_body",
        "sha256",
        "hex",
    )
    assert (hmac_profile.header, hmac_profile.query_param, hmac_profile.mode) == (
        "X-Signature",
        None,
        "flag",
    )
    webhook = parse_profile({"kind": "standard_webhooks", "secret": WEBHOOK_SECRET})
    assert isinstance(webhook, StandardWebhooksProfile)
    assert webhook.tolerance_seconds == 300


@pytest.mark.parametrize(
    ("header", "expected_scheme"), [("Authorization", "Bearer"), ("X-Api-Key", None)]
)
def test_header_token_scheme_defaults_by_header(header: str, expected_scheme: str | None) -> None:
    profile = parse_profile({"kind": "header_token", "token": "t", "header": header})
    assert isinstance(profile, HeaderTokenProfile)
    assert profile.scheme == expected_scheme


def test_a_bare_kind_name_is_accepted() -> None:
    assert isinstance(parse_profile("none"), NoneProfile)


def test_template_given_implies_template_canonical() -> None:
    profile = parse_profile({"kind": "hmac", "secret": "s", "template": "{method}{body}"})
    assert isinstance(profile, HmacProfile)
    assert profile.canonical == "template"
    assert [segment.field for segment in profile.segments] == ["method", "body"]


def test_cidrs_take_ipv4_and_ipv6() -> None:
    profile = parse_profile({"kind": "ip_allowlist", "cidrs": ["45.92.116.0/22", "2001:db8::/32"]})
    assert isinstance(profile, IpAllowlistProfile)
    assert profile.cidrs == (
        ipaddress.ip_network("45.92.116.0/22"),
        ipaddress.ip_network("2001:db8::/32"),
    )


def test_secret_from_environment_mapping() -> None:
    profile = parse_profile(
        {"kind": "query_token", "token": {"env": "NET_TOKEN"}}, env={"NET_TOKEN": "from-env"}
    )
    assert isinstance(profile, QueryTokenProfile)
    assert profile.token.value == "from-env"
    assert profile.token.env == "NET_TOKEN"


def test_secrets_never_show_in_repr_or_masked_dict() -> None:
    profile = parse_profile({"kind": "hmac", "secret": "very-secret-value"})
    assert "very-secret-value" not in repr(profile)
    assert profile_to_dict(profile)["secret"] == "****"
    assert profile_to_dict(profile, reveal_secrets=True)["secret"] == "very-secret-value"


def test_env_reference_stays_a_reference_in_the_dict() -> None:
    profile = parse_profile({"kind": "hmac", "secret": {"env": "S"}}, env={"S": "x"})
    assert profile_to_dict(profile)["secret"] == {"env": "S"}


def test_skan_profile_accepts_a_public_key() -> None:
    key = public_key_b64(generate_private_key())
    profile = parse_profile({"kind": "skan", "keys": [key], "trust_apple": False})
    assert isinstance(profile, SkanProfile)
    assert profile.keys == (key,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kind": "hmac", "secret": "s", "algorithm": "sha512"},
            "verification.algorithm: expected one of sha256, sha1, md5",
        ),
        ({"kind": "hmac", "secret": "s", "encoding": "b32"}, "verification.encoding: expected"),
        ({"kind": "bogus"}, "verification.kind: expected one of none, query_token"),
        ({}, "verification.kind: expected one of"),
        (["none"], "verification: expected a mapping"),
        ({"kind": "query_token"}, "verification.token: expected a non-empty string or"),
        (
            {"kind": "query_token", "token": {"env": "MISSING"}},
            "verification.token: environment variable MISSING is not set",
        ),
        ({"kind": "query_token", "token": "t", "parm": "x"}, "verification.parm: unknown field"),
        ({"kind": "none", "mode": "block"}, "verification.mode: expected one of flag, enforce"),
        ({"kind": "ip_allowlist"}, "verification.cidrs: expected at least one CIDR"),
        ({"kind": "ip_allowlist", "cidrs": ["10.0.0.300/8"]}, "verification.cidrs[0]: expected"),
        ({"kind": "none", "cidrs": "10.0.0.0/8"}, "verification.cidrs: expected a list"),
        ({"kind": "hmac", "secret": "s", "canonical": "template"}, "verification.template:"),
        ({"kind": "hmac", "secret": "s", "template": "{nope}"}, "unknown field {nope}"),
        ({"kind": "hmac", "secret": "s", "template": "{body"}, "'{' at character 0 opens no field"),
        (
            {"kind": "hmac", "secret": "s", "header": "X-S", "query_param": "s"},
            "verification.header: expected either header or query_param",
        ),
        ({"kind": "hmac", "secret": "s", "prefix": 3}, "verification.prefix: expected a string"),
        ({"kind": "standard_webhooks", "secret": "whsec_!!"}, "verification.secret: expected"),
        (
            {"kind": "standard_webhooks", "secret": WEBHOOK_SECRET, "tolerance_seconds": True},
            "verification.tolerance_seconds: expected an integer >= 1",
        ),
        ({"kind": "skan", "keys": ["bm90IGEga2V5"]}, "verification.keys[0]: expected"),
        ({"kind": "skan", "trust_apple": "yes"}, "verification.trust_apple: expected true"),
    ],
)
def test_invalid_dicts_name_the_field(data: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile(data)
    assert message in caught.value.message
    assert caught.value.field is not None
    assert caught.value.message.startswith(caught.value.field)


def test_where_prefixes_the_field_path() -> None:
    with pytest.raises(ConfigError, match=r"^channels\.fakenet\.verification\.kind:"):
        parse_profile({"kind": "x"}, where="channels.fakenet.verification")


KNOWN_KEYS = [
    "kind", "mode", "cidrs", "token", "param", "header", "scheme", "secret", "canonical",
    "template", "algorithm", "encoding", "query_param", "prefix", "tolerance_seconds",
    "trust_apple", "keys", "env",
]  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
kind_values = st.sampled_from(["none", "query_token", "header_token", "hmac",
                               "standard_webhooks", "ip_allowlist", "skan", "other"])  # fmt: skip


@given(
    st.dictionaries(st.sampled_from(KNOWN_KEYS) | st.text(max_size=6), json_values, max_size=6),
    kind_values,
)
def test_any_dict_parses_or_raises_config_error(data: dict[str, Any], kind: str) -> None:
    data = {"kind": kind, **data} if "kind" not in data else data
    try:
        profile = parse_profile(data, env={"E": "v"})
    except ConfigError as error:
        assert error.field is not None and error.message.startswith("verification")
    else:
        assert profile.kind == data["kind"]


names = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=10)
secrets_text = st.text(min_size=1, max_size=20)
valid_dicts = st.one_of(
    st.fixed_dictionaries({"kind": st.just("query_token"), "token": secrets_text, "param": names}),
    st.fixed_dictionaries(
        {"kind": st.just("header_token"), "token": secrets_text, "header": names},
        optional={"scheme": st.none() | names},
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("hmac"),
            "secret": secrets_text,
            "algorithm": st.sampled_from(["sha256", "sha1", "md5"]),
            "encoding": st.sampled_from(["hex", "base64"]),
            "canonical": st.sampled_from(["raw_body", "sorted_query"]),
            "prefix": st.text(max_size=8),
            "mode": st.sampled_from(["flag", "enforce"]),
        },
        optional={"query_param": names},
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("standard_webhooks"),
            "secret": st.just(WEBHOOK_SECRET),
            "tolerance_seconds": st.integers(1, 10**6),
        }
    ),
    st.fixed_dictionaries(
        {"kind": st.just("ip_allowlist"), "cidrs": st.lists(st.ip_addresses().map(str), min_size=1)}
    ),
)


@given(valid_dicts)
def test_revealed_dict_parses_back_to_the_same_profile(data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    assert parse_profile(profile_to_dict(profile, reveal_secrets=True)) == profile


@given(st.text(max_size=40))
def test_template_parser_returns_segments_or_template_error(text: str) -> None:
    try:
        segments = parse_template(text)
    except TemplateError as error:
        assert str(error)
    else:
        assert all(isinstance(segment, Segment) for segment in segments)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=30))
def test_literal_braces_survive_escaping(text: str) -> None:
    segments = parse_template("{{" + text + "}}")
    assert "".join(segment.text for segment in segments) == "{" + text + "}"
