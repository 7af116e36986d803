"""Verification/signing profiles: typed, validated, built from the plain dict a config holds.

One dict describes one channel's scheme, e.g.::

    {"kind": "hmac", "secret": {"env": "NET_SECRET"}, "canonical": "sorted_query",
     "algorithm": "sha1", "encoding": "base64", "query_param": "sig", "mode": "enforce"}

Common fields for every kind: ``kind``, ``mode`` (``flag`` records the verdict, ``enforce``
also refuses) and ``cidrs`` (source networks allowed; empty means any, required for
``ip_allowlist``). ``profile_to_dict`` gives the dict back, secrets masked unless revealed.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from sandbox.errors import ConfigError
from sandbox.signing.canonical import (
    ALGORITHMS,
    CANONICAL_FORMS,
    ENCODINGS,
    PRESETS,
    MacScheme,
    Segment,
    TemplateError,
    parse_template,
)
from sandbox.signing.fields import (
    IPNetwork,
    Secret,
    fail,
    read_bool,
    read_choice,
    read_cidrs,
    read_int,
    read_optional_str,
    read_secret,
    read_str,
    read_str_list,
    reject_unknown,
)
from sandbox.signing.keys import load_public_key
from sandbox.signing.webhooks import webhook_key

MODES = ("flag", "enforce")
COMMON_FIELDS = ("kind", "mode", "cidrs")


@dataclass(frozen=True, kw_only=True)
class BaseProfile:
    kind: ClassVar[str] = ""
    mode: str = "flag"
    cidrs: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True, kw_only=True)
class NoneProfile(BaseProfile):
    kind: ClassVar[str] = "none"


@dataclass(frozen=True, kw_only=True)
class IpAllowlistProfile(BaseProfile):
    kind: ClassVar[str] = "ip_allowlist"


@dataclass(frozen=True, kw_only=True)
class QueryTokenProfile(BaseProfile):
    kind: ClassVar[str] = "query_token"
    token: Secret
    param: str = "token"


@dataclass(frozen=True, kw_only=True)
class HeaderTokenProfile(BaseProfile):
    """``scheme`` None means the header carries the bare token."""

    kind: ClassVar[str] = "header_token"
    token: Secret
    header: str = "Authorization"
    scheme: str | None = "Bearer"


@dataclass(frozen=True, kw_only=True)
class HmacProfile(BaseProfile):
    """The signature travels in ``header`` or, when that is None, in ``query_param``."""

    kind: ClassVar[str] = "hmac"
    secret: Secret
    canonical: str = "raw_body"
    template: str | None = None
    algorithm: str = "sha256"
    encoding: str = "hex"
    header: str | None = "X-Signature"
    query_param: str | None = None
    prefix: str = ""

    @property
    def segments(self) -> tuple[Segment, ...]:
        return parse_template(self.template or PRESETS[self.canonical])

    @property
    def scheme(self) -> MacScheme:
        return MacScheme(self.secret.value.encode(), self.algorithm, self.encoding, self.prefix)


@dataclass(frozen=True, kw_only=True)
class StandardWebhooksProfile(BaseProfile):
    kind: ClassVar[str] = "standard_webhooks"
    secret: Secret
    tolerance_seconds: int = 300


@dataclass(frozen=True, kw_only=True)
class SkanProfile(BaseProfile):
    """SKAdNetwork and AdAttributionKit signatures; ``keys`` are extra trusted base64 SPKI keys."""

    kind: ClassVar[str] = "skan"
    trust_apple: bool = True
    keys: tuple[str, ...] = ()


Profile = (
    NoneProfile
    | IpAllowlistProfile
    | QueryTokenProfile
    | HeaderTokenProfile
    | HmacProfile
    | StandardWebhooksProfile
    | SkanProfile
)

Env = Mapping[str, str]


def parse_profile(data: Any, *, env: Env | None = None, where: str = "verification") -> Profile:
    """Build a profile from a config dict (or a bare kind name); ConfigError names the field."""
    if isinstance(data, str):
        data = {"kind": data}
    if not isinstance(data, Mapping):
        raise fail(where, "a mapping with a 'kind' field")
    kind = read_choice(data, "kind", where, tuple(PARSERS), default="")
    parser, own_fields = PARSERS[kind]
    reject_unknown(data, where, (*COMMON_FIELDS, *own_fields))
    common = {
        "mode": read_choice(data, "mode", where, MODES, default="flag"),
        "cidrs": read_cidrs(data, "cidrs", where),
    }
    return parser(data, where, env or {}, common)


def _query_token(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    return QueryTokenProfile(
        token=read_secret(data, "token", where, env),
        param=read_str(data, "param", where, default="token"),
        **common,
    )


def _header_token(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    header = read_str(data, "header", where, default="Authorization")
    default_scheme = "Bearer" if header.lower() == "authorization" else None
    scheme = read_optional_str(data, "scheme", where) if "scheme" in data else default_scheme
    return HeaderTokenProfile(
        token=read_secret(data, "token", where, env), header=header, scheme=scheme, **common
    )


def _hmac(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    implied = "template" if data.get("template") is not None else "raw_body"
    form = read_choice(data, "canonical", where, CANONICAL_FORMS, default=implied)
    template = read_optional_str(data, "template", where)
    if form == "template" and template is None:
        raise fail(f"{where}.template", "a template string when canonical is 'template'")
    if form != "template" and template is not None:
        raise fail(f"{where}.canonical", "'template' (or no canonical) when a template is given")
    if template is not None:
        try:
            parse_template(template)
        except TemplateError as error:
            raise fail(f"{where}.template", f"a valid template: {error}") from None
    header = read_optional_str(data, "header", where)
    query_param = read_optional_str(data, "query_param", where)
    if header is not None and query_param is not None:
        raise fail(f"{where}.header", "either header or query_param, not both")
    if header is None and query_param is None:
        header = "X-Signature"
    prefix = data.get("prefix", "")
    if not isinstance(prefix, str):
        raise fail(f"{where}.prefix", "a string such as 'sha256='")
    return HmacProfile(
        secret=read_secret(data, "secret", where, env),
        canonical=form,
        template=template,
        algorithm=read_choice(data, "algorithm", where, ALGORITHMS, default="sha256"),
        encoding=read_choice(data, "encoding", where, ENCODINGS, default="hex"),
        header=header,
        query_param=query_param,
        prefix=prefix,
        **common,
    )


def _standard_webhooks(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    secret = read_secret(data, "secret", where, env)
    try:
        key = webhook_key(secret.value)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise fail(f"{where}.secret", "a base64 secret with the whsec_ prefix, e.g. whsec_MfKQ...")
    return StandardWebhooksProfile(
        secret=secret,
        tolerance_seconds=read_int(data, "tolerance_seconds", where, 300, minimum=1),
        **common,
    )


def _ip_allowlist(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    if not common["cidrs"]:
        raise fail(f"{where}.cidrs", "at least one CIDR such as 45.92.116.0/22")
    return IpAllowlistProfile(**common)


def _skan(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    keys = read_str_list(data, "keys", where)
    for index, text in enumerate(keys):
        try:
            load_public_key(text)
        except ConfigError as error:
            raise fail(f"{where}.keys[{index}]", error.message) from None
    return SkanProfile(trust_apple=read_bool(data, "trust_apple", where, True), keys=keys, **common)


def _none(data: Mapping[str, Any], where: str, env: Env, common: dict) -> Profile:
    return NoneProfile(**common)


Parser = Callable[[Mapping[str, Any], str, Env, dict], Profile]
PARSERS: dict[str, tuple[Parser, tuple[str, ...]]] = {
    "none": (_none, ()),
    "query_token": (_query_token, ("token", "param")),
    "header_token": (_header_token, ("token", "header", "scheme")),
    "hmac": (
        _hmac,
        (
            "secret",
            "canonical",
            "template",
            "algorithm",
            "encoding",
            "header",
            "query_param",
            "prefix",
        ),
    ),
    "standard_webhooks": (_standard_webhooks, ("secret", "tolerance_seconds")),
    "ip_allowlist": (_ip_allowlist, ()),
    "skan": (_skan, ("trust_apple", "keys")),
}


def profile_to_dict(profile: Profile, *, reveal_secrets: bool = False) -> dict[str, Any]:
    """The config dict of ``profile``; ``parse_profile`` of a revealed dict gives it back."""
    result: dict[str, Any] = {"kind": profile.kind}
    for item in fields(profile):
        value = getattr(profile, item.name)
        if isinstance(value, Secret):
            value = value.to_config(reveal=reveal_secrets)
        elif item.name == "cidrs":
            value = [str(network) for network in value]
        elif isinstance(value, tuple):
            value = list(value)
        result[item.name] = value
    return result
