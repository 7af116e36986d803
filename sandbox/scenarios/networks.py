"""Building the network half of a scenario: templates, presets, send rules, campaigns.

``NetworkBuilder`` holds the document and collects problems with their lines; the scenario
loader extends it with the app and user model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar

from sandbox.docfile import Document, PathTuple, did_you_mean
from sandbox.scenarios.dialects import SANDBOX, translate
from sandbox.scenarios.distributions import Weighted
from sandbox.scenarios.geo import COUNTRIES
from sandbox.scenarios.macro_catalogue import stable_token
from sandbox.scenarios.macros import BodyTemplate, TemplateError, TextTemplate
from sandbox.scenarios.model import App, Campaign, Network, RetryPolicy
from sandbox.scenarios.postback_template import PostbackTemplate
from sandbox.scenarios.presets import PRESETS, preset_url
from sandbox.scenarios.url_template import UrlTemplate


def parse_duration(value: float | int | str) -> float:
    """Seconds from a number or text such as 500ms, 30s, 15m, 6h, 7d."""
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"not a duration: {value!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


T = TypeVar("T")
_SHAPE_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


class NetworkBuilder:
    """Collects meaning problems, each with its file and line.

    ``broken`` lists the places the schema check already refused; a part of the document that
    touches one of them is built only as far as it goes (``guarded``), so one pass can report
    the schema's problems and the meaning problems of every other part together.
    """

    def __init__(self, doc: Document, *, broken: Sequence[PathTuple] = ()) -> None:
        self.doc = doc
        self.found: list[tuple[PathTuple, str]] = []
        self.broken = tuple(broken)
        self.skipped: list[PathTuple] = []  # parts not built (their schema problems say why)

    @property
    def problems(self) -> list[str]:
        return [text for _, text in self.found]

    def fail(self, where: PathTuple, message: str) -> None:
        self.found.append((where, self.doc.problem(where, message)))

    def touches_broken(self, where: PathTuple) -> bool:
        """Whether a schema problem sits at, inside or around ``where``."""
        return any(spot[:len(where)] == where or where[:len(spot)] == spot
                   for spot in self.broken)

    def guarded(self, where: PathTuple, build: Callable[[], T], fallback: T) -> T:
        """``build()``, or ``fallback`` when it trips over data the schema refused."""
        try:
            return build()
        except _SHAPE_ERRORS:
            if not self.touches_broken(where):
                raise
            self.skipped.append(where)
            return fallback

    def weights(self, raw: Mapping[str, float], where: PathTuple) -> Weighted[str] | None:
        try:
            return Weighted.from_mapping(dict(raw))
        except ValueError:
            self.fail(where, "expected at least one weight above zero")
            return None

    def countries(self, raw: Mapping[str, float], where: PathTuple) -> Weighted[str] | None:
        for code in raw:
            if code not in COUNTRIES:
                self.fail((*where, code), f"unknown country{did_you_mean(code, COUNTRIES)}; "
                          f"known: {', '.join(sorted(COUNTRIES))}")
        return self.weights(raw, where)

    def platforms(self, raw: Mapping[str, float], where: PathTuple, app: App) -> Weighted[str]:
        usable = {name: weight for name, weight in raw.items() if name in app.platforms}
        for name, weight in raw.items():
            if name not in app.platforms and weight > 0:
                self.fail((*where, name), f"the app has no {name} section")
        return self.weights(usable or dict.fromkeys(app.platforms or ("ios",), 1.0), where) \
            or Weighted.uniform(app.platforms or ("ios",))

    def network(
        self, raw: Mapping[str, Any], where: PathTuple, app: App, known: frozenset[str]
    ) -> Network:
        preset = PRESETS[raw.get("preset", "none")]
        endpoint = raw.get("endpoint")
        if preset.name != "none" and endpoint is None:
            self.fail((*where, "preset"), "a preset needs an 'endpoint' URL to send to")
        postbacks = raw.get("postbacks", {})
        drop_empty = raw.get("drop_empty", preset.drop_empty)
        dialect = raw.get("macros", SANDBOX)
        install = self.preset_template(preset.install, endpoint, drop_empty, preset.dialect)
        event = self.preset_template(preset.event, endpoint, drop_empty, preset.dialect)
        if "install" in postbacks:
            install = self.template(postbacks["install"], (*where, "postbacks", "install"),
                                    drop_empty, dialect)
        if "event" in postbacks:
            event = self.template(postbacks["event"], (*where, "postbacks", "event"), drop_empty,
                                  dialect)
        events: dict[str, PostbackTemplate] = {}
        for name, spec in postbacks.get("events", {}).items():
            spot = (*where, "postbacks", "events", name)
            self.known_event(name, spot, known)
            template = self.template(spec, spot, drop_empty, dialect)
            if template is not None:
                events[name] = template
        send = self.send_events(raw, where, known, preset.send_events, events, event)
        for name in raw.get("event_names", {}):
            self.known_event(name, (*where, "event_names", name), known)
        campaigns = self.campaigns(raw, where, app)
        self.unique([c.name for c in campaigns], (*where, "campaigns"), "campaign name")
        return Network(
            name=raw["name"], id=str(raw.get("id", raw["name"])),
            media_source=raw.get("media_source", f"{raw['name']}_int"), preset=preset.name,
            install=install, event=event, events=events, send_events=send,
            event_names={**preset.event_names, **raw.get("event_names", {})},
            signing=raw.get("signing", {"kind": "none"}),
            campaigns=campaigns, **network_delivery(raw.get("delivery", preset.delivery)),
        )

    def send_events(
        self, raw: Mapping[str, Any], where: PathTuple, known: frozenset[str],
        preset_default: tuple[str, ...], events: Mapping[str, PostbackTemplate],
        default: PostbackTemplate | None,
    ) -> frozenset[str] | None:
        value = raw.get("send_events")
        if value == "all":
            if default is None:
                self.fail((*where, "send_events"), "'all' needs a default 'postbacks.event' "
                          "template (or a preset)")
            return None
        if value is None:
            names = set(events) | {n for n in preset_default if n in known and default}
            return frozenset(names)
        for index, name in enumerate(value):
            spot = (*where, "send_events", index)
            if self.known_event(name, spot, known) and name not in events and default is None:
                self.fail(spot, f"no template for {name!r}: add postbacks.events.{name} "
                          "or a default postbacks.event")
        return frozenset(value)

    def known_event(self, name: str, where: PathTuple, known: frozenset[str]) -> bool:
        if name in known:
            return True
        self.fail(where, f"unknown event {name!r}{did_you_mean(name, known)}; the user model "
                  f"fires: {', '.join(sorted(known))}")
        return False

    def preset_template(
        self, path: str | None, endpoint: str | None, drop_empty: bool, dialect: str
    ) -> PostbackTemplate | None:
        if path is None or endpoint is None:
            return None
        return PostbackTemplate(
            "GET", UrlTemplate.compile(preset_url(endpoint, translate(path, dialect))),
            drop_empty=drop_empty)

    def template(self, spec: Any, where: PathTuple, drop_empty: bool, dialect: str
                 ) -> PostbackTemplate | None:
        if isinstance(spec, str):
            spec = {"url": spec}
        try:
            spec = in_sandbox_syntax(spec, dialect)
        except TemplateError as exc:
            self.fail(where, exc.message)
            return None
        try:
            url = UrlTemplate.compile(spec["url"])
        except TemplateError as exc:
            self.fail((*where, "url") if len(spec) > 1 or "method" in spec else where,
                      exc.message)
            return None
        headers = []
        for name, value in spec.get("headers", {}).items():
            try:
                headers.append((name, TextTemplate.compile(value)))
            except TemplateError as exc:
                self.fail((*where, "headers", name), exc.message)
        body = None
        if "body" in spec:
            body_format = spec.get("format") or ("text" if isinstance(spec["body"], str)
                                                 else "json")
            try:
                body = BodyTemplate.compile(spec["body"], body_format)
            except TemplateError as exc:
                inner = tuple(exc.field.split(".")) if exc.field else ()
                self.fail((*where, "body", *inner), exc.message)
        return PostbackTemplate(
            method=spec.get("method", "POST" if body is not None else "GET"), url=url,
            headers=tuple(headers), body=body, content_type=spec.get("content_type"),
            drop_empty=drop_empty,
        )

    def campaigns(self, raw: Mapping[str, Any], where: PathTuple, app: App
                  ) -> tuple[Campaign, ...]:
        built: list[Campaign] = []
        for index, item in enumerate(raw["campaigns"]):
            spot: PathTuple = (*where, "campaigns", index)
            campaign = self.guarded(
                spot, partial(self.campaign, item, spot, raw["name"], app), None)
            if campaign is not None:
                built.append(campaign)
        return tuple(built)

    def campaign(self, raw: Mapping[str, Any], where: PathTuple, network: str,
                 app: App) -> Campaign:
        cpi = raw.get("cpi", {})
        cpi_min, cpi_max = float(cpi.get("min", 1.0)), float(cpi.get("max", 3.0))
        if cpi_min > cpi_max:
            self.fail((*where, "cpi"), f"expected min <= max, got {cpi_min} > {cpi_max}")
        lookback = raw.get("lookback", {})
        countries = raw.get("countries")
        platforms = raw.get("platforms")
        index = where[-1] if isinstance(where[-1], int) else 0
        return Campaign(
            name=raw["name"], id=str(raw.get("id", 1001 + index)),
            clicks=int(raw.get("clicks", 1000)),
            install_rate=float(raw.get("install_rate", 0.02)),
            impressions=int(raw.get("impressions", 0)),
            view_install_rate=float(raw.get("view_install_rate", 0.001)),
            cpi_min=cpi_min, cpi_max=cpi_max, cost_currency=cpi.get("currency", "USD"),
            countries=self.countries(countries, (*where, "countries")) if countries else None,
            platforms=self.platforms(platforms, (*where, "platforms"), app) if platforms
            else None,
            click_lookback=parse_duration(lookback.get("click", "7d")),
            view_lookback=parse_duration(lookback.get("view", "1d")),
            ctit=raw.get("ctit", "normal"),
            publishers=tuple(raw.get("publishers", ())),
            tracker=raw.get("tracker") or stable_token(f"{network}/{raw['name']}"),
        )

    def unique(self, names: list[str], where: PathTuple, what: str) -> None:
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                self.fail((*where, index, "name"), f"duplicate {what} {name!r}")
            seen.add(name)


def in_sandbox_syntax(spec: Mapping[str, Any], dialect: str) -> dict[str, Any]:
    """A template spec whose URL, header values and body strings are written in ``dialect``,
    in the sandbox's own syntax (``dialects.py``)."""
    if dialect == SANDBOX:
        return dict(spec)
    translated = dict(spec)
    translated["url"] = translate(spec["url"], dialect)
    if "headers" in spec:
        translated["headers"] = {name: translate(value, dialect) if isinstance(value, str)
                                 else value for name, value in spec["headers"].items()}
    if "body" in spec:
        translated["body"] = _translate_body(spec["body"], dialect)
    return translated


def _translate_body(body: Any, dialect: str) -> Any:
    if isinstance(body, str):
        return translate(body, dialect)
    if isinstance(body, Mapping):
        return {key: _translate_body(value, dialect) for key, value in body.items()}
    if isinstance(body, list):
        return [_translate_body(value, dialect) for value in body]
    return body


def network_delivery(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """A network's own ``delivery:`` (or its preset's habit) as Network fields."""
    if not raw:
        return {}
    timeout = raw.get("timeout")
    return {"timeout": None if timeout is None else parse_duration(timeout),
            "retry": retry_policy(raw["retry"]) if "retry" in raw else None}


def retry_policy(raw: Mapping[str, Any]) -> RetryPolicy:
    """A ``retry:`` mapping (the scenario's delivery, a network's, a preset's habit)."""
    return RetryPolicy(
        attempts=int(raw.get("attempts", 3)), backoff=raw.get("backoff", "exponential"),
        base=parse_duration(raw.get("base", "1s")), max=parse_duration(raw.get("max", "60s")),
        jitter=float(raw.get("jitter", 0.1)), on_status=tuple(raw.get("on_status", ())),
        statuses=bool(raw.get("statuses", True)),
        schedule=tuple(parse_duration(wait) for wait in raw.get("schedule", ())),
    )
