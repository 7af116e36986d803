"""Postback lint: the bugs real integrations ship, found in every capture and kept as warnings.

Pure and cheap (it runs on every capture): one pass over the query, form and JSON values with
precompiled patterns, a quick character test before any regular expression, and caps on how
many JSON values are walked and how many strings among them are looked at. A warning is
``{"kind", "where", "message"}``; ``where`` is a field path of the assertion language
(``query.click_id``, ``form.idfa``, ``json.data.sku``).

Kinds: ``unreplaced_macro``, ``empty_value``, ``double_encoded``, ``zero_device_id``,
``non_numeric_revenue``, ``unknown_currency``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from sandbox.capture.keys import KEY_ALIASES

LINT_KINDS = (
    "unreplaced_macro",
    "empty_value",
    "double_encoded",
    "zero_device_id",
    "non_numeric_revenue",
    "unknown_currency",
)
MAX_WARNINGS = 50
MAX_JSON_STRINGS = 500
MAX_JSON_NODES = 5000  # objects and arrays walked too: a body of empty arrays has no leaves

# Contained anywhere: {click_id} {IDFA} {cl?Net} {{x}} ${(user_data.idfa)!} %%CLICK_ID%% <#if
_MACRO_INSIDE = re.compile(
    r"\{\{?\s*[A-Za-z_][\w.?\-]*\s*\}\}?|\$\{[^}]*\}|%%[A-Za-z_][\w]*%%|<#(?:if|else)\b"
)
# Only as the whole value (parentheses and hashes are common in real text): (idfa) #s2# [sub1]
_MACRO_WHOLE = re.compile(r"\([a-z][a-z0-9_]*\)|#[A-Za-z][A-Za-z0-9_]*#|\[[A-Za-z_][\w]*\]")
_PLACEHOLDER_WORDS = frozenset({"REPLACE", "OPTIONAL"})  # Voluum's template words
_SPECIAL = re.compile(r"[{(%$#\[<]")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ZERO_ID = re.compile(r"[0-]{8,}")
_NULL_WORDS = frozenset({"null", "undefined", "nil", "none", "(null)", "nan"})

# Keys a postback should carry a value for when it names them at all.
_REQUIRED_KEYS = ("click_id", "event_name", "transaction_id", "device_id", "revenue", "currency")
_ALIAS_KEY = {alias: key for key in _REQUIRED_KEYS for alias in KEY_ALIASES[key]}
_DEVICE_ALIASES = frozenset(KEY_ALIASES["device_id"])

# ISO 4217 active codes (2024 list, with funds and precious-metal codes).
_ISO_4217_TEXT = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG
    XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
"""
ISO_4217 = frozenset(_ISO_4217_TEXT.split())

LintWarning = dict[str, str]
_CONTAINERS = (dict, list)


def warning(kind: str, where: str, message: str) -> LintWarning:
    return {"kind": kind, "where": where, "message": message}


def macro_in(value: str) -> str | None:
    """The unreplaced macro a value carries, if any."""
    if value in _PLACEHOLDER_WORDS:
        return value
    if not _SPECIAL.search(value):
        return None
    found = _MACRO_INSIDE.search(value)
    if found:
        return found.group(0)
    return value if _MACRO_WHOLE.fullmatch(value) else None


def _could_warn(name: str, value: str) -> bool:
    """False when a value certainly carries no warning, as most do: a cheap test first."""
    return name in _ALIAS_KEY or value in _PLACEHOLDER_WORDS or _SPECIAL.search(value) is not None


def _value_warnings(where: str, name: str, value: str) -> list[LintWarning]:
    found: list[LintWarning] = []
    macro = macro_in(value)
    if macro is not None:
        found.append(
            warning("unreplaced_macro", where, f"{where} carries the literal macro {macro!r}"))
    elif "%" in value and _PERCENT_ESCAPE.search(value):
        found.append(warning(
            "double_encoded", where,
            f"{where} is still percent-encoded after decoding ({value[:60]!r}): "
            "the sender encoded it twice",
        ))
    key = _ALIAS_KEY.get(name)
    if key is None:
        return found
    stripped = value.strip()
    if not stripped or stripped.lower() in _NULL_WORDS:
        shown = "empty" if not stripped else f"the literal {stripped!r}"
        found.append(warning("empty_value", where, f"{where} ({key}) is {shown}"))
    elif name in _DEVICE_ALIASES and _ZERO_ID.fullmatch(stripped) and "0" in stripped:
        found.append(warning(
            "zero_device_id", where,
            f"{where} is the all-zero device id (ATT not authorised or ad tracking limited)",
        ))
    return found


def _multi(found: list[LintWarning], prefix: str, source: Mapping[str, list[str]]) -> None:
    for name, values in source.items():
        for value in values:
            if _could_warn(name, value):
                found += _value_warnings(f"{prefix}.{name}", name, value)
                if len(found) >= MAX_WARNINGS:
                    return


def _path(parent: str, key: str | int) -> str:
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"


def _json(value: Any) -> Iterator[LintWarning]:
    """Leaves of a JSON value, depth first; a leaf's path is only built when it warns."""
    if not isinstance(value, dict | list):
        return
    stack: list[tuple[str, str | int, str, Any]] = [("", "", "", value)]  # parent, key, name
    seen, pushed = 0, 1
    while stack:
        parent, key, name, item = stack.pop()
        if isinstance(item, _CONTAINERS):
            pushed += len(item)
            if pushed > MAX_JSON_NODES:  # rare: values never pushed are never walked
                room = max(MAX_JSON_NODES - pushed + len(item), 0)
                item = dict(islice(item.items(), room)) if isinstance(item, dict) else item[:room]
                pushed = MAX_JSON_NODES
            where = _path(parent, key) if parent else "json"
            if isinstance(item, dict):
                stack.extend([(where, k, str(k), v) for k, v in reversed(item.items())])
            else:
                stack.extend([(where, i, name, v) for i, v in reversed(list(enumerate(item)))])
        else:
            seen += 1
            if seen > MAX_JSON_STRINGS:
                return
            if isinstance(item, str):
                if _could_warn(name, item):
                    yield from _value_warnings(_path(parent, key), name, item)
            elif item is None and name in _ALIAS_KEY:
                where = _path(parent, key)
                yield warning("empty_value", where, f"{where} ({_ALIAS_KEY[name]}) is null")


def _key_warnings(keys: Mapping[str, str | None]) -> Iterator[LintWarning]:
    revenue, currency = keys.get("revenue"), keys.get("currency")
    if revenue is not None and macro_in(revenue) is None:
        text = revenue.strip()
        if not _NUMBER.fullmatch(text):
            hint = " (decimal comma?)" if "," in text else ""
            yield warning(
                "non_numeric_revenue", "revenue", f"revenue {revenue!r} is not a number{hint}"
            )
    if (currency is not None and macro_in(currency) is None
            and currency.strip().upper() not in ISO_4217):
        yield warning(
            "unknown_currency", "currency",
            f"currency {currency!r} is not an ISO 4217 code such as USD or EUR",
        )


def lint_capture(
    query: Mapping[str, list[str]],
    form: Mapping[str, list[str]] | None,
    json_value: Any,
    keys: Mapping[str, str | None],
) -> list[LintWarning]:
    """Every warning for one capture, at most ``MAX_WARNINGS``, in the order found."""
    found: list[LintWarning] = []
    _multi(found, "query", query)
    if form and len(found) < MAX_WARNINGS:
        _multi(found, "form", form)
    if json_value is not None and len(found) < MAX_WARNINGS:
        found += islice(_json(json_value), MAX_WARNINGS - len(found))
    if keys.get("revenue") is not None or keys.get("currency") is not None:
        found += _key_warnings(keys)
    return found[:MAX_WARNINGS]
