"""The postback keys pulled out of every capture into indexed columns, and where they come from.

Precedence: the aliases of a key are tried in table order (the most specific name first); for
each alias the sources are tried in order query string, form body, top-level JSON body. The first
non-empty value wins and is stored as text, exactly as sent; an alias in ``NUMBER_ONLY`` counts
only when its value is a number.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.store.records import KEY_NAMES

KEY_ALIASES: dict[str, tuple[str, ...]] = {
    "click_id": (
        "click_id", "clickid", "clickId", "click-id", "ClickID",
        "external_touch",  # Branch: ~external_touch, the third-party click id
        "cl_id",  # Singular: the network's click id passed through ({cl?Network})
        "transaction_id",  # TUNE / HasOffers
        "cid",  # Voluum
        "subid",  # Keitaro
        "r",  # CAKE request id
        "sub1",  # Everflow
        "af_sub1",  # AppsFlyer sub-parameter echo
    ),
    "event_name": (
        "event_name", "event", "eventName", "af_event", "event_type", "evtname", "et",
        "goal_name",  # TUNE / HasOffers aff_goal
        "event_id",  # Everflow: the id of the event (a kind of event, not one occurrence)
        "name",  # Branch: ${(name)!}, the event's name (install for installs)
    ),
    "transaction_id": (
        "transaction_id", "transactionId", "transaction-id", "txid", "tid",
        "order_id", "af_order_id", "postback-identifier",
    ),
    "device_id": (
        "idfa", "gps_adid", "advertising_id", "advertiserId", "aaid", "gaid", "adid",
        "idfv", "android_id", "oaid", "device_id",
    ),
    "revenue": (
        "revenue", "revenue_usd", "af_revenue", "amount", "sale_amount", "payout", "sum",
        "monetary", "value",
        "event_value",  # Kochava: numeric event data (AppsFlyer's is JSON: never a number)
    ),
    "currency": ("currency", "af_currency", "eventCurrency", "currency_code", "cur"),
}

# The key columns are the store's KEY_NAMES (sandbox/store/records.py), in this order; a test
# holds the two together.


def _first_present(values: list[Any]) -> Any:
    for item in values:
        if item is not None and item != "":
            return item
    return None


def _first(source: Mapping[str, Any] | None, name: str) -> str | None:
    if not source or name not in source:
        return None
    value = source[name]
    if isinstance(value, list):
        value = _first_present(value)
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) or None


# Aliases that are a key only when their value is a number: ``event_value`` is Kochava's
# revenue, and AppsFlyer's JSON of event parameters.
NUMBER_ONLY = frozenset({"event_value"})


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# alias -> [(key, rank)], so a request is scanned once for the names it carries.
_ALIAS_INDEX: dict[str, list[tuple[str, int]]] = {}
for _key, _aliases in KEY_ALIASES.items():
    for _rank, _alias in enumerate(_aliases):
        _ALIAS_INDEX.setdefault(_alias, []).append((_key, _rank))


def _first_text(values: list[str]) -> str | None:
    for value in values:
        if value:
            return value
    return None


def extract_keys(
    query: Mapping[str, list[str]],
    form: Mapping[str, list[str]] | None,
    json_body: Any,
) -> dict[str, str | None]:
    """The postback keys of one request, each the first non-empty alias value or None."""
    best: dict[str, tuple[int, int, str]] = {}  # key -> (alias rank, source rank, value)
    for source_rank, source in ((0, query), (1, form),
                                (2, json_body if isinstance(json_body, dict) else None)):
        if not source:
            continue
        for name, raw in source.items():
            hits = _ALIAS_INDEX.get(name)
            if hits is None:
                continue
            # Query and form values are lists of text; a JSON value may be anything.
            value = _first_text(raw) if source_rank < 2 else _first(source, name)
            if value is None or (name in NUMBER_ONLY and not _is_number(value)):
                continue
            for key, rank in hits:
                held = best.get(key)
                if held is None or (rank, source_rank) < (held[0], held[1]):
                    best[key] = (rank, source_rank, value)
    return {key: best[key][2] if key in best else None for key in KEY_NAMES}
