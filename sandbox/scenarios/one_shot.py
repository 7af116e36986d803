"""One postback, now: the install or named in-app event a preset's network would receive,
built from a one-network scenario and one generated user (``postback-sandbox send``).

The user comes from the same traffic generator as a scenario run (seeded: the same seed gives
the same ids and device), so ids, times and devices look as they do in runs; ``--set`` values
then replace what the user did (revenue, currency, ids, event parameters), and the user's
times are moved so the install or event happens ``at`` (now, for ``send``), keeping the gaps
between touch, install and event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.docfile import did_you_mean
from sandbox.errors import SandboxError
from sandbox.scenarios.generate import TrafficGenerator
from sandbox.scenarios.journey import Journey
from sandbox.scenarios.load import scenario_from_data
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.money import USD_PER_UNIT, to_usd
from sandbox.scenarios.presets import PRESETS
from sandbox.scenarios.render import RenderedPostback, Renderer

NETWORK = "partner"
# AppsFlyer's SDK event names (AFInAppEvents): the sandbox's names for in-app events; each
# preset sends them under its vendor's names (Branch's, Kochava's) where it has them.
EVENTS = (
    "af_purchase", "af_add_to_cart", "af_add_to_wishlist", "af_add_payment_info",
    "af_initiated_checkout", "af_complete_registration", "af_tutorial_completion",
    "af_level_achieved", "af_achievement_unlocked", "af_content_view", "af_search",
    "af_rate", "af_share", "af_invite", "af_login", "af_subscribe", "af_start_trial",
    "af_spent_credits", "af_travel_booking", "af_re_engage", "af_update", "af_list_view",
    "af_ad_click", "af_ad_view",
)


class SendError(SandboxError):
    code = "bad_send"


def _number(text: str) -> float:
    return float(text)


def _currency(text: str) -> str:
    if len(text) != 3 or not text.isalpha():
        raise ValueError("expected a 3-letter ISO 4217 code such as EUR")
    return text.upper()


# --set key -> (what it changes: "event", "device" or "touch"; attribute; how to read the text)
SETTABLE: dict[str, tuple[str, str, Callable[[str], Any]]] = {
    "revenue": ("event", "revenue", _number), "currency": ("event", "currency", _currency),
    "revenue_usd": ("event", "revenue_usd", _number), "order_id": ("event", "order_id", str),
    "search_query": ("event", "search_query", str),
    "click_id": ("touch", "touch_id", str), "site_id": ("touch", "site_id", str),
    "country": ("device", "country", str.upper), "ip": ("device", "ip", str),
    "idfa": ("device", "idfa", str), "idfv": ("device", "idfv", str),
    "gaid": ("device", "gaid", str), "android_id": ("device", "android_id", str),
    "os_version": ("device", "os_version", str), "user_agent": ("device", "user_agent", str),
    "language": ("device", "language", str), "device_model": ("device", "model", str),
}
PARAM_PREFIX = "param."  # --set param.af_level=3: an event parameter


@dataclass(frozen=True)
class OneShot:
    preset: str
    kind: str  # "install" | "event"
    to: str  # the URL the preset's paths are appended to
    event: str | None = None
    values: Mapping[str, str] = field(default_factory=dict)  # --set
    seed: int = 1
    platform: str = "ios"
    signing: Mapping[str, Any] | None = None
    attempts: int = 1  # 1 + retries, on timeouts, connection errors, 408, 429 and 5xx
    timeout: float = 5.0
    at: float | None = None  # unix seconds the install or event happens at (None: as generated)


def check(shot: OneShot) -> None:
    """SendError naming what is wrong and what is valid, before anything is built."""
    presets = [name for name in PRESETS if name != "none"]
    if shot.preset not in presets:
        raise SendError(f"unknown preset {shot.preset!r}{did_you_mean(shot.preset, presets)}; "
                        f"expected one of {', '.join(presets)}", field="preset")
    if shot.kind == "event" and shot.event not in EVENTS:
        event = shot.event or ""
        raise SendError(f"unknown event {event!r}{did_you_mean(event, EVENTS)}; expected one "
                        f"of {', '.join(EVENTS)}", field="event")
    for key in shot.values:
        if key not in SETTABLE and not (key.startswith(PARAM_PREFIX) and len(key) > 6):
            valid = [*SETTABLE, f"{PARAM_PREFIX}<name>"]
            raise SendError(f"--set {key}: unknown key{did_you_mean(key, list(SETTABLE))}; "
                            f"expected one of {', '.join(valid)}", field="set")
        if key in SETTABLE and SETTABLE[key][0] == "event" and shot.kind != "event":
            raise SendError(f"--set {key}: an install has no {key}; it belongs to events",
                            field="set")
    if not shot.to.startswith(("http://", "https://")):
        raise SendError(f"--to {shot.to!r}: expected an http:// or https:// URL", field="to")


def scenario(shot: OneShot) -> Scenario:
    """A scenario with one network on ``shot.preset`` whose every user fires the event."""
    event = shot.event or "af_purchase"
    network: dict[str, Any] = {
        "name": NETWORK, "preset": shot.preset, "endpoint": shot.to, "send_events": [event],
        "campaigns": [{"name": "send", "clicks": 200, "install_rate": 0.5}],
        # as asked, not the preset's habits (Singular's would retry for two hours)
        "delivery": {"timeout": f"{shot.timeout}s",
                     "retry": {"attempts": shot.attempts, "base": "1s"}},
    }
    if shot.signing is not None:
        network["signing"] = dict(shot.signing)
    return scenario_from_data({
        "name": f"send-{shot.kind}", "seed": shot.seed, "days": 1,
        "app": {"name": "Sandbox Demo", "version": "1.0.0",
                "ios": {"app_id": 1234567890, "bundle_id": "com.example.sandboxdemo"},
                "android": {"package": "com.example.sandboxdemo"}},
        "users": {"platforms": {shot.platform: 1},
                  "funnel": [] if event == "af_purchase" else
                  [{"event": event, "probability": 1.0, "delay": "10m"}],
                  "purchases": {"payer_share": 1.0 if event == "af_purchase" else 0.0}},
        "organic_share": 0.0, "networks": [network], "delivery": {"concurrency": 1},
    })


def one_postback(shot: OneShot) -> tuple[Scenario, RenderedPostback]:
    """The postback ``shot`` asks for, and the scenario it was rendered from."""
    check(shot)
    built = scenario(shot)
    renderer = Renderer(built, shot.seed)
    for journey in TrafficGenerator(built, shot.seed).journeys(sent_only=True):
        if journey.install.touch is None:
            continue
        if shot.kind == "event":
            journey.events = [e for e in journey.events if e.name == shot.event][:1]
            if not journey.events:
                continue
        else:
            journey.events = []
        _apply(journey, shot.values)
        if shot.at is not None:
            _move_to(journey, shot.at)
        for postback in renderer.render_journey(journey):
            if postback.kind == shot.kind:
                return built, postback
    raise SendError(f"no {shot.kind} postback came out of preset {shot.preset!r}",
                    field="preset")


def _move_to(journey: Journey, at: float) -> None:
    """Shift the user's touch, install and event so the postback's moment is ``at``: what the
    partner receives happened now, with the generated gaps between touch, install and event."""
    install = journey.install
    moment = journey.events[0].time if journey.events else install.time
    shift = at - moment
    install.time += shift
    if install.touch is not None:
        install.touch.time += shift
    for event in journey.events:
        event.time += shift


def _apply(journey: Journey, values: Mapping[str, str]) -> None:
    install = journey.install
    event = journey.events[0] if journey.events else None
    for key, text in values.items():
        if key.startswith(PARAM_PREFIX):
            assert event is not None
            event.params[key[len(PARAM_PREFIX):]] = text
            continue
        target, attribute, read = SETTABLE[key]
        try:
            value = read(text)
        except ValueError as exc:
            reason = str(exc) if "expected" in str(exc) else "expected a number"
            raise SendError(f"--set {key}={text}: {reason}", field="set") from None
        owner = {"event": event, "device": install.device, "touch": install.touch}[target]
        setattr(owner, attribute, value)
        if event is not None and key in ("revenue", "currency"):  # the event_value JSON too
            param = "af_revenue" if key == "revenue" else "af_currency"
            if param in event.params:
                event.params[param] = text if key == "revenue" else value
    revenue_changed = {"revenue", "currency"} & set(values) and "revenue_usd" not in values
    if event is not None and revenue_changed and event.revenue is not None:
        currency = event.currency or "USD"
        if currency in USD_PER_UNIT:  # else the generated USD figure stays
            event.revenue_usd = to_usd(event.revenue, currency)
