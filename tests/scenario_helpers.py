"""Shared builders for the scenario / traffic / macro tests."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.scenarios.journey import AppEvent, Device, Install, Touch
from sandbox.scenarios.load import scenario_from_data
from sandbox.scenarios.macro_catalogue import MacroContext
from sandbox.scenarios.model import Scenario

MINIMAL: dict[str, Any] = {
    "name": "t",
    "seed": 3,
    "app": {"name": "Puzzle Quest", "version": "3.2.1",
            "ios": {"app_id": 525463029, "bundle_id": "com.example.puzzle"},
            "android": {"package": "com.example.puzzle"}},
    "networks": [{
        "name": "fakenet",
        "postbacks": {
            "install": "https://pb.fakenet.test/i?click={click_id}&c={campaign}",
            "event": "https://pb.fakenet.test/e?click={click_id}&ev={event_name}",
        },
        "send_events": ["af_purchase"],
        "campaigns": [{"name": "summer", "clicks": 2000, "install_rate": 0.02}],
    }],
}


def scenario_data(**overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(MINIMAL)
    data.update(overrides)
    return data


def build(**overrides: Any) -> Scenario:
    return scenario_from_data(scenario_data(**overrides))


def sample_device(platform: str = "ios") -> Device:
    device = Device(
        platform=platform, country="US", city="Austin", language="en-US", ip="12.34.56.78",
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Mobile/15E148",
        brand="apple", model="iPhone15,2", os_version="17.4", carrier="AT&T", wifi=True,
        mmp_device_id="1716208334000-6513894", adid="18546f6171f67e29d1cb983322ad1329",
    )
    if platform == "ios":
        device.idfa, device.idfv = "8C6CBC0D-5F43-4765-A6E6-84DFF3D24707", \
            "CCB300A0-DE1B-4D48-BC7E-599E453B8DD4"
        device.att_status = 3
    else:
        device.gaid, device.android_id = "38400000-8cf0-11bd-b23e-10b96e40000d", "b9da30111528c740"
        device.brand, device.model, device.os_version = "Google", "Pixel 7", "14"
        device.user_agent = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.004)"
    return device


def sample_context(
    scenario: Scenario | None = None, *, platform: str = "ios", with_event: bool = True,
    revenue: float = 4.59, currency: str = "EUR",
) -> MacroContext:
    """A fixed install (and purchase) of made-up values."""
    scenario = scenario or build()
    network = scenario.networks[0]
    touch = Touch("click", "c8f1e2", 0, 0, 1716208012.0, 7 * 86400.0, "pub_4711")
    install = Install("in_0001", 1716208334.0, sample_device(platform), touch, cost=2.35,
                      match_type="id_matching")
    event = None
    if with_event:
        event = AppEvent("ev_0001", "af_purchase", 1716209999.0,
                         {"af_revenue": f"{revenue}", "af_currency": currency}, revenue=revenue,
                         currency=currency, revenue_usd=4.99, order_id="GPA.1234-5678-9012-34567")
    return MacroContext("event" if with_event else "install", install, event, scenario.app,
                        network, network.campaigns[0], "pb_0001")
