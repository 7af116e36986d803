"""Faults injected on purpose (opt-in per scenario), so a receiver can be tested against them.

Each kind has a share of postbacks it hits, drawn from a generator seeded by the run's seed,
so a run's faults reproduce. A hit postback lists its kinds in the delivery log (``chaos``)
and, unless the scenario's ``chaos.mark`` is false, on the wire in ``X-Sandbox-Chaos``.

- ``duplicate``: sent a second time (same postback id, so the same ``webhook-id``).
- ``out_of_order``: an install postback held back until its install's next postback (an
  event) has gone: the event arrives before the install.
- ``late``: held back and sent after all the others, ``late_by`` later on a paced timeline.
- ``wrong_token`` / ``missing_token``: signed with a wrong token or secret / not signed at all
  (only for networks that sign).
- ``missing_optional``: every optional parameter sent empty (all but the click id, event
  name, transaction id and the token).
- ``encoding_edge``: an optional value replaced by one with quotes, ``&``, ``+``, spaces and
  non-ASCII characters, correctly encoded.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from sandbox.capture.keys import KEY_ALIASES
from sandbox.delivery.plan import Planned
from sandbox.scenarios.model import Chaos
from sandbox.signing import (
    HeaderTokenProfile,
    HmacProfile,
    NoneProfile,
    Profile,
    QueryTokenProfile,
    Secret,
    StandardWebhooksProfile,
)
from sandbox.signing.wire import encode_pairs, query_pairs

CHAOS_HEADER = "X-Sandbox-Chaos"
KINDS = ("duplicate", "out_of_order", "late", "wrong_token", "missing_token",
         "missing_optional", "encoding_edge")
EDGE_VALUE = "O'Brien & \"Sons\" + co = 100% ünïcødé 🎉/?#"
WRONG_TOKEN = "sandbox-chaos-wrong-token"
WRONG_WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"sandbox-chaos-wrong-secret!!").decode()
REQUIRED_NAMES = frozenset(
    name for key in ("click_id", "event_name", "transaction_id") for name in KEY_ALIASES[key]
)


def is_active(chaos: Chaos) -> bool:
    return any(getattr(chaos, kind) > 0 for kind in KINDS)


def wrong_profile(profile: Profile) -> Profile | None:
    """The profile signed with a wrong token or secret; None when it signs nothing."""
    if isinstance(profile, QueryTokenProfile | HeaderTokenProfile):
        return replace(profile, token=Secret(WRONG_TOKEN))
    if isinstance(profile, HmacProfile):
        return replace(profile, secret=Secret(WRONG_TOKEN))
    if isinstance(profile, StandardWebhooksProfile):
        return replace(profile, secret=Secret(WRONG_WEBHOOK_SECRET))
    return None


def _token_param(profile: Profile) -> str | None:
    if isinstance(profile, QueryTokenProfile):
        return profile.param
    return profile.query_param if isinstance(profile, HmacProfile) else None


def _rewrite(item: Planned, value_for: str | None) -> Planned:
    """Optional query parameters and top-level JSON fields: emptied (``value_for`` None) or,
    for the first one only, set to ``value_for``."""
    keep = REQUIRED_NAMES | {_token_param(item.profile)}
    request = item.request
    parts = urlsplit(request.url)
    pairs = query_pairs(parts.query)
    changed = False
    for index, (name, _) in enumerate(pairs):
        if name not in keep and not (changed and value_for is not None):
            pairs[index] = (name, value_for or "")
            changed = True
    url = urlunsplit(parts._replace(query=encode_pairs(pairs))) if changed else request.url
    body = request.body
    try:
        document = json.loads(body) if body else None
    except ValueError:
        document = None
    if isinstance(document, dict) and not (changed and value_for is not None):
        for name in list(document):
            if name not in keep and isinstance(document[name], str | int | float):
                document[name] = value_for or ""
                if value_for is not None:
                    break
        body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return replace(item, request=replace(request, url=url, body=body))


class ChaosMonkey:
    def __init__(self, chaos: Chaos, seed: int) -> None:
        self.chaos = chaos
        self.rng = random.Random(f"{seed}:chaos")

    def _hits(self, item: Planned) -> list[str]:
        signed = not isinstance(item.profile, NoneProfile) and wrong_profile(item.profile)
        found = []
        for kind in KINDS:  # one draw per kind and postback, always: faults reproduce
            if self.rng.random() < getattr(self.chaos, kind):
                if kind in ("wrong_token", "missing_token") and not signed:
                    continue
                if kind == "out_of_order" and item.postback.kind != "install":
                    continue
                found.append(kind)
        if "missing_token" in found and "wrong_token" in found:
            found.remove("wrong_token")
        return found

    def _transform(self, item: Planned, kinds: list[str]) -> Planned:
        if "wrong_token" in kinds:
            item = replace(item, profile=wrong_profile(item.profile) or item.profile)
        if "missing_token" in kinds:
            item = replace(item, profile=NoneProfile())
        if "missing_optional" in kinds:
            item = _rewrite(item, None)
        if "encoding_edge" in kinds:
            item = _rewrite(item, EDGE_VALUE)
        return replace(item, chaos=tuple(k for k in kinds if k != "duplicate"))

    def _marked(self, item: Planned, *extra: str) -> Planned:
        kinds = (*item.chaos, *extra)
        if not kinds:
            return item
        request = item.request
        if self.chaos.mark:
            request = request.with_header(CHAOS_HEADER, ",".join(kinds))
        return replace(item, request=request, chaos=kinds)

    def apply(self, items: Iterable[Planned]) -> Iterator[Planned]:
        held: dict[str, Planned] = {}  # out_of_order installs, by install id
        late: list[Planned] = []
        for planned in items:
            kinds = self._hits(planned)
            item = self._transform(planned, kinds) if kinds else planned
            if "late" in kinds:
                late.append(replace(item, send_at=item.send_at + self.chaos.late_by))
                continue
            if "out_of_order" in kinds:
                held[item.postback.install_id] = item
                continue
            yield self._marked(item)
            if "duplicate" in kinds:
                yield self._marked(item, "duplicate")
            waiting = held.pop(item.postback.install_id, None)
            if waiting is not None:
                yield self._marked(replace(waiting, send_at=max(waiting.send_at, item.send_at)))
        for waiting in held.values():
            yield self._marked(waiting)
        for item in sorted(late, key=lambda planned: planned.send_at):
            yield self._marked(item)
