"""Helpers for the live-loop tests: configure a network and a campaign, wait for deliveries."""

from __future__ import annotations

from typing import Any

from werkzeug.test import Client

from tests.served import ServedApp

IOS_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/15E148")
ANDROID_UA = "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.004)"
IDFV = "CCB300A0-DE1B-4D48-BC7E-599E453B8DD4"
IDFA = "8C6CBC0D-5F43-4765-A6E6-84DFF3D24707"
UNREACHABLE = "http://127.0.0.1:9"  # discard port: nothing listens, deliveries fail fast


def network_spec(base: str, channel: str) -> dict[str, Any]:
    return {
        "postbacks": {
            "install": f"{base}/pb/{channel}/install?click_id={{click_id}}"
                       "&install_id={install_id}&idfa={idfa}",
            "events": {"af_purchase": f"{base}/pb/{channel}/event?click_id={{click_id}}"
                                      "&event={event_name}&revenue={revenue}"
                                      "&currency={currency}"},
        },
        "send_events": ["af_purchase"],
    }


def configure(client: Client, *, network: str = "net1", campaign: str = "launch",
              base: str = UNREACHABLE, redirect: str | None = None, **campaign_fields: Any
              ) -> None:
    answer = client.put(f"/api/networks/{network}", json=network_spec(base, network))
    assert answer.status_code == 200, answer.json
    body = {"network": network, **campaign_fields}
    if redirect is not None:
        body["redirect"] = redirect
    answer = client.put(f"/api/campaigns/{campaign}", json=body)
    assert answer.status_code == 200, answer.json


def click(client: Client, campaign: str = "launch", **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"format": "json", **params}.items())
    answer = client.get(f"/c/{campaign}?{query}", headers={"User-Agent": IOS_UA})
    assert answer.status_code == 200, answer.json
    return str(answer.json["click_id"])


def wait_for_deliveries(served: ServedApp) -> None:
    delivery = served.app.extensions.get("sandbox.live_delivery")
    if delivery is not None:
        assert delivery.wait(30)
