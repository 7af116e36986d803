"""Load a scenario file: schema check, then meaning checks, then the typed model.

Every mistake becomes one line of a ``ScenarioError``: ``file:line: field.path: expected``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache, partial
from importlib import resources
from pathlib import Path
from typing import Any

from sandbox.docfile import (
    Document,
    PathTuple,
    did_you_mean,
    in_line_order,
    read_document,
    schema_findings,
)
from sandbox.errors import ScenarioError
from sandbox.resources import bundled_scenario, scenarios_dir
from sandbox.scenarios.distributions import Weighted
from sandbox.scenarios.expect import expectation_problems
from sandbox.scenarios.model import (
    ATT_ORDER,
    App,
    Attribution,
    Chaos,
    Delivery,
    FunnelStep,
    Network,
    Purchases,
    Retention,
    Scenario,
    UserModel,
)
from sandbox.scenarios.networks import NetworkBuilder, parse_duration, retry_policy
from sandbox.scenarios.skan_section import skan_config

DEFAULT_FUNNEL = (
    FunnelStep("af_tutorial_completion", 0.5, delay=300.0, max_delay=86400.0),
    FunnelStep("af_complete_registration", 0.3, delay=1800.0, max_delay=86400.0),
    FunnelStep("af_level_achieved", 0.7, delay=7200.0, max_delay=3 * 86400.0, repeat=0.75,
               repeat_gap=6 * 3600.0, counter_param="af_level"),
    FunnelStep("af_content_view", 0.3, delay=86400.0, max_delay=7 * 86400.0),
    FunnelStep("af_add_to_cart", 0.33, delay=3600.0, requires="af_content_view"),
)


@cache
def scenario_schema() -> dict[str, Any]:
    """The JSON Schema shipped in the package (``sandbox/scenarios/scenario.schema.json``)."""
    text = resources.files("sandbox.scenarios").joinpath("scenario.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def resolve_scenario(name_or_path: str) -> Path:
    """A path to an existing file, or a bundled scenario's short name (``quickstart``)."""
    candidate = Path(name_or_path)
    if candidate.is_file():
        return candidate
    try:
        return bundled_scenario(name_or_path)
    except FileNotFoundError:
        names = sorted(p.stem for p in scenarios_dir().glob("*.y*ml"))
        hint = did_you_mean(name_or_path, names)
        raise ScenarioError(
            [f"{name_or_path}: no such file, nor a bundled scenario{hint} "
             f"(bundled: {', '.join(names)})"]
        ) from None


def load_scenario(path: Path) -> Scenario:
    """Read, validate and build a scenario; raise ScenarioError listing every problem."""
    return parse_scenario(read_document(path, error_cls=ScenarioError))


def scenario_from_data(data: Any, *, source: str = "<scenario>") -> Scenario:
    """Build a scenario from plain data (tests, benchmarks); same checks as a file."""
    return parse_scenario(Document(Path(source), data, {(): 1}))


def parse_scenario(doc: Document) -> Scenario:
    scenario, problems = check_scenario(doc)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


_SKAN_NEEDS = ("app", "users", "networks")  # the parts the skan: checks look names up in


def check_scenario(doc: Document) -> tuple[Scenario | None, list[str]]:
    """Every problem of every kind in one pass, in line order: the schema's, the meaning
    checks', the expectations' and the ``skan:`` section's. The scenario is None only when
    the document is not a mapping at all."""
    schema = schema_findings(doc, scenario_schema())
    problems = [text for _, text in schema]
    if not isinstance(doc.data, Mapping):
        return None, in_line_order(doc, problems)
    builder = _Builder(doc, broken=[where for where, _ in schema])
    scenario = builder.scenario()
    problems += [text for where, text in builder.found if not builder.touches_broken(where)]
    problems += [doc.problem(where, message)
                 for where, message in expectation_problems(doc.data.get("expect"))
                 if not builder.touches_broken(where)]
    if not builder.touches_broken(("skan",)) and not any(
            where[0] in _SKAN_NEEDS for where in builder.skipped):
        try:
            skan_config(scenario, doc)
        except ScenarioError as error:
            problems += error.problems
    return scenario, in_line_order(doc, problems)


def parse_start(text: str) -> float:
    moment = datetime.fromisoformat(text.replace(" ", "T") if "T" not in text else text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


class _Builder(NetworkBuilder):
    """Walks validated data into the model, collecting meaning problems with their lines."""

    def scenario(self) -> Scenario:
        """The scenario; parts the schema refused fall back to defaults (see ``guarded``)."""
        data: Mapping[str, Any] = self.doc.data
        app = self.guarded(("app",), lambda: self.app(data["app"]), _ANY_APP)
        users = self.guarded(("users",), lambda: self.users(data.get("users", {}), app),
                             _lenient_users(data.get("users")))
        known_events = _event_names(users)
        networks = self.networks(data.get("networks"), app, known_events)
        self.unique([n.name for n in networks], ("networks",), "network name")
        return Scenario(
            name=self.guarded(("name",), lambda: str(data["name"]), "?"),
            app=app, users=users, networks=networks,
            seed=self.guarded(("seed",), lambda: int(data.get("seed", 0)), 0),
            description=str(data.get("description", "")),
            start=self.guarded(("start",), lambda: self.start(data), 0.0),
            days=self.guarded(("days",), lambda: float(data.get("days", 7)), 7.0),
            organic_share=self.guarded(("organic_share",), lambda: self.organic(data), 0.0),
            attribution=self.guarded(("attribution",),
                                     lambda: self.attribution(data.get("attribution", {})),
                                     Attribution()),
            delivery=self.guarded(("delivery",), lambda: self.delivery(data.get("delivery", {})),
                                  Delivery()),
            chaos=self.guarded(("chaos",), lambda: self.chaos(data.get("chaos", {})), Chaos()),
            channels=data.get("channels", {}),
            expect=self.guarded(("expect",), lambda: tuple(data.get("expect", [])), ()),
            source=self.doc.path,
        )

    def networks(self, raw: Any, app: App, known: frozenset[str]) -> tuple[Network, ...]:
        built: list[Network] = []
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            where: PathTuple = ("networks", index)
            network = self.guarded(where, partial(self.network, item, where, app, known), None)
            if network is not None:
                built.append(network)
        return tuple(built)

    def organic(self, data: Mapping[str, Any]) -> float:
        organic = float(data.get("organic_share", 0.0))
        if organic >= 1:
            self.fail(("organic_share",), "expected a share below 1 (some installs must be paid)")
        return organic

    def start(self, data: Mapping[str, Any]) -> float:
        try:
            return parse_start(data.get("start", "2026-01-05T00:00:00Z"))
        except ValueError as exc:
            self.fail(("start",), f"expected an ISO date or time: {exc}")
            return 0.0

    @staticmethod
    def attribution(raw: Mapping[str, Any]) -> Attribution:
        return Attribution(
            view_through=raw.get("view_through", False),
            competing_touch_share=float(raw.get("competing_touch_share", 0.1)),
        )

    # --- app and users ------------------------------------------------------------------

    def app(self, raw: Mapping[str, Any]) -> App:
        ios, android = raw.get("ios"), raw.get("android")
        if not ios and not android:
            self.fail(("app",), "expected an 'ios' or 'android' section (or both)")
        return app_from_data(raw)

    def users(self, raw: Mapping[str, Any], app: App) -> UserModel:
        where: PathTuple = ("users",)
        countries = self.countries(raw.get("countries", {"US": 1}), (*where, "countries"))
        default_platforms = {"ios": 0.35, "android": 0.65}
        platforms = self.platforms(
            raw.get("platforms", {k: v for k, v in default_platforms.items()
                                  if k in app.platforms}),
            (*where, "platforms"), app,
        )
        att_raw = {"authorized": 0.3, "denied": 0.5, "restricted": 0.03, "not_determined": 0.17}
        att_raw.update(raw.get("att", {}))
        att = self.weights({str(ATT_ORDER.index(k)): v for k, v in att_raw.items()},
                           (*where, "att"))
        retention_raw = raw.get("retention", {})
        retention = Retention(
            d1=float(retention_raw.get("d1", 0.26)),
            decay=float(retention_raw.get("decay", 0.442)),
            horizon_days=int(retention_raw.get("horizon_days", 30)),
            extra_sessions=float(retention_raw.get("extra_sessions", 1.5)),
            session_event=retention_raw.get("session_event", "af_app_opened"),
        )
        funnel = self.funnel(raw["funnel"], retention) if "funnel" in raw else DEFAULT_FUNNEL
        purchases = self.purchases(raw["purchases"]) if "purchases" in raw else Purchases()
        return UserModel(
            countries=countries or Weighted.uniform(["US"]),
            platforms=platforms,
            att=Weighted(tuple(int(s) for s in att.items), att.cumulative) if att
            else Weighted.uniform([2]),
            gaid_zeroed=float(raw.get("gaid_zeroed", 0.06)),
            retention=retention, funnel=funnel, purchases=purchases,
        )

    def funnel(self, raw: list[Mapping[str, Any]], retention: Retention) -> tuple[FunnelStep, ...]:
        steps: list[FunnelStep] = []
        seen = {retention.session_event} - {None}
        for index, item in enumerate(raw):
            where: PathTuple = ("users", "funnel", index)
            requires = item.get("requires")
            if requires is not None and requires not in seen:
                self.fail((*where, "requires"), f"expected an event defined earlier in the "
                          f"funnel{did_you_mean(requires, seen)}")  # type: ignore[arg-type]
            steps.append(FunnelStep(
                event=item["event"], probability=float(item["probability"]),
                per=item.get("per", "install"),
                delay=parse_duration(item.get("delay", "10m")),
                spread=float(item.get("spread", 1.0)),
                max_delay=parse_duration(item["max_delay"]) if "max_delay" in item else None,
                requires=requires, repeat=float(item.get("repeat", 0.0)),
                repeat_max=int(item.get("repeat_max", 20)),
                repeat_gap=parse_duration(item.get("repeat_gap", "6h")),
                counter_param=item.get("counter_param"), params=item.get("params", {}),
            ))
            seen.add(item["event"])
        return tuple(steps)

    def purchases(self, raw: Mapping[str, Any] | None) -> Purchases | None:
        if raw is None:
            return None
        return Purchases(
            event=raw.get("event", "af_purchase"),
            payer_share=float(raw.get("payer_share", 0.02)),
            first_delay=parse_duration(raw.get("first_delay", "18h")),
            spread=float(raw.get("spread", 1.2)),
            median_usd=float(raw.get("median_usd", 4.99)),
            sigma=float(raw.get("sigma", 1.1)),
            repeat=float(raw.get("repeat", 0.5)),
            repeat_gap=parse_duration(raw.get("repeat_gap", "2d")),
            max_purchases=int(raw.get("max_purchases", 50)),
        )

    # --- delivery -------------------------------------------------------------------------

    def delivery(self, raw: Mapping[str, Any]) -> Delivery:
        retry = raw.get("retry", {})
        return Delivery(
            concurrency=int(raw.get("concurrency", 8)),
            timeout=parse_duration(raw.get("timeout", "5s")),
            rate=raw.get("rate"),
            allow_failed=bool(raw.get("allow_failed", False)),
            retry=retry_policy(retry),
        )

    def chaos(self, raw: Mapping[str, Any]) -> Chaos:
        shares = {k: float(v) for k, v in raw.items() if k not in ("late_by", "mark")}
        return Chaos(late_by=parse_duration(raw.get("late_by", "30s")),
                     mark=bool(raw.get("mark", True)), **shares)


# Stand-ins for a part the schema refused, chosen to add no problems of their own: an app on
# both platforms, and a user model firing every event name the file mentions.
_ANY_APP = App(name="app", ios_app_id=0, android_package="app")


def _lenient_users(raw: Any) -> UserModel:
    raw = raw if isinstance(raw, Mapping) else {}
    steps = raw.get("funnel") if isinstance(raw.get("funnel"), list) else []
    names = [step.get("event") for step in steps if isinstance(step, Mapping)]
    purchases = raw.get("purchases") if isinstance(raw.get("purchases"), Mapping) else {}
    retention = raw.get("retention") if isinstance(raw.get("retention"), Mapping) else {}
    names += [purchases.get("event", "af_purchase"),
              retention.get("session_event", "af_app_opened")]
    return UserModel(
        countries=Weighted.uniform(["US"]), platforms=Weighted.uniform(["ios", "android"]),
        att=Weighted.uniform([2]),
        funnel=tuple(FunnelStep(name, 1.0) for name in names if isinstance(name, str)),
        purchases=None, retention=Retention(session_event=None),
    )


def _event_names(users: UserModel) -> frozenset[str]:
    names = {step.event for step in users.funnel}
    if users.purchases is not None:
        names.add(users.purchases.event)
    if users.retention.session_event:
        names.add(users.retention.session_event)
    return frozenset(names)


def app_from_data(raw: Mapping[str, Any]) -> App:
    """The app a scenario (or the live config) declares, from its validated ``app:`` data."""
    ios, android = raw.get("ios"), raw.get("android")
    return App(
        name=raw["name"], version=raw.get("version", "1.0.0"),
        sdk_version=raw.get("sdk_version", "6.14.0"),
        ios_app_id=ios["app_id"] if ios else None,
        ios_bundle_id=ios.get("bundle_id") if ios else None,
        android_package=android["package"] if android else None,
        event_tokens=raw.get("event_tokens", {}),
    )

