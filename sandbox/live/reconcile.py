"""Reconcile what a channel received against what the live loop and scenario runs issued,
keyed by click id: clicks whose attributed install produced no postback, postbacks with click
ids no click carries, duplicates (a click's install postback arriving twice, or the same event
postback twice: the same method, path, query and body; a user's second purchase is not one),
and installs whose install postback was answered 2xx more than once (a re-send counts: it is
one more attempt on the same delivery). ``ok`` is true only when all of them are empty; the
API answers 200 then and 417 otherwise, like an assertion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.capture.record import CHANNEL_PATTERN
from sandbox.errors import SandboxError
from sandbox.query.listing import parse_since
from sandbox.store import Store
from sandbox.store.reconcile import (
    KEY_COLUMNS,
    Scope,
    installs_delivered_twice,
    installs_without_capture,
    key_groups,
    unknown_keys,
)

PARAMS = ("channel", "key", "network", "since")
SHOWN = 100  # items listed per problem; counts are always complete


def _bad(name: str, message: str) -> SandboxError:
    return SandboxError(f"{name}: {message}", code="bad_parameter", field=name)


def parse_scope(store: Store, args: Mapping[str, str]) -> Scope:
    unknown = sorted(set(args) - set(PARAMS))
    if unknown:
        raise _bad(unknown[0], f"unknown parameter; expected {', '.join(PARAMS)}")
    channel = args.get("channel") or ""
    if not CHANNEL_PATTERN.fullmatch(channel):
        raise _bad("channel", f"expected a channel name (1-64 of A-Z a-z 0-9 . _ -), got "
                              f"{channel!r}")
    key = args.get("key") or "click_id"
    if key not in KEY_COLUMNS:
        raise _bad("key", f"expected one of {', '.join(KEY_COLUMNS)}, got {key!r}")
    since = parse_since(args["since"]) if args.get("since") else None
    network = args.get("network") or None
    if network is None and store.live_config.network(channel) is not None:
        network = channel  # a channel named like a network receives that network's postbacks
    return Scope(channel, key, network, since)


def _listed(items: list[Any]) -> dict[str, Any]:
    return {"count": len(items), "items": items[:SHOWN]}


def reconcile(store: Store, scope: Scope) -> dict[str, Any]:
    groups = key_groups(store, scope)
    duplicates = [{"click_id": key, "event_name": event, "captures": ids}
                  for key, event, ids in groups if key is not None and len(ids) > 1]
    without_key = sorted(i for key, _, ids in groups if key is None for i in ids)
    unknown = [{"click_id": key, "captures": ids} for key, ids in unknown_keys(store, scope)]
    missing = [{"click_id": click, "install_id": install}
               for install, click in installs_without_capture(store, scope)]
    twice = [{"install_id": install, "deliveries": deliveries, "accepted": accepted}
             for install, deliveries, accepted in installs_delivered_twice(store, scope.network)]
    ok = not (missing or unknown or duplicates or twice or without_key)
    return {
        "ok": ok,
        "channel": scope.channel, "key": scope.key, "network": scope.network,
        "since": scope.since,
        "checked": {"captures": sum(len(ids) for _, _, ids in groups),
                    "click_ids": len({k for k, _, _ in groups if k is not None})},
        "missing": _listed(missing),
        "unknown": _listed(unknown),
        "without_key": _listed(without_key),
        "duplicates": _listed(duplicates),
        "installs_postbacked_more_than_once": _listed(twice),
    }
