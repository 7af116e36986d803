"""Builders for the SKAN tests: a small iOS scenario with a ``skan:`` section, hand-made
journeys, and an independent SKAN 4.0 signed-string builder (not the signing core's)."""

from __future__ import annotations

import base64
import copy
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.scenarios.journey import AppEvent, Install, Journey, Touch
from sandbox.scenarios.load import scenario_from_data
from sandbox.scenarios.model import Scenario
from sandbox.skan import SkanConfig, skan_config_from_data
from tests.scenario_helpers import sample_device

SKAN: dict[str, Any] = {
    "networks": [
        {"network": "alpha", "ad_network_id": "alpha123.skadnetwork",
         "url": "http://127.0.0.1:9/pb/skan/alpha", "source_identifiers": {"spring": "4271"}},
        {"network": "beta", "ad_network_id": "beta456.adattributionkit",
         "url": "http://127.0.0.1:9/pb/skan/beta", "format": "aak"},
    ],
    "developer_copy": "http://127.0.0.1:9/pb/skan-dev",
    "conversion_values": [
        {"event": "af_tutorial_completion", "fine": 4, "coarse": "low"},
        {"event": "af_complete_registration", "fine": 8, "coarse": "medium"},
        {"event": "af_purchase", "fine": 32, "coarse": "high"},
        {"revenue_usd": 20, "fine": 63, "coarse": "high", "lock": True},
    ],
}

DATA: dict[str, Any] = {
    "name": "skan-test",
    "seed": 5,
    "days": 1,
    "app": {"name": "Puzzle Quest", "ios": {"app_id": 1234567890}},
    "users": {"platforms": {"ios": 1}, "purchases": {"payer_share": 0.2}},
    "networks": [
        {"name": "alpha", "campaigns": [{"name": "spring", "clicks": 600,
                                         "install_rate": 0.05}]},
        {"name": "beta", "campaigns": [{"name": "video", "clicks": 400,
                                        "install_rate": 0.05}]},
    ],
    "skan": SKAN,
}


def skan_data(**skan_overrides: Any) -> dict[str, Any]:
    data = copy.deepcopy(DATA)
    data["skan"].update(skan_overrides)
    return data


def build(**skan_overrides: Any) -> tuple[Scenario, SkanConfig]:
    data = skan_data(**skan_overrides)
    scenario = scenario_from_data(data)
    config = skan_config_from_data(scenario, data)
    assert config is not None
    return scenario, config


START = 1767571200.0
DAY = 86400.0


def journey(events: list[tuple[str, float, float | None]], *, network: int = 0,
            kind: str = "click", install_id: str = "in_test") -> Journey:
    """An iOS install at START won by ``network``; events as (name, days after, revenue)."""
    touch = Touch(kind, "touch0001", network, 0, START - 60, 7 * DAY, "com.acme.puzzles")
    install = Install(install_id, START, sample_device("ios"), touch)
    made = [AppEvent(f"ev{i}", name, START + days * DAY, revenue_usd=revenue)
            for i, (name, days, revenue) in enumerate(events)]
    return Journey(install, made)


# --- an independent SKAN 4.0 verifier: field order from Apple's documentation ---

ORDER_4_0 = ("version", "ad-network-id", "source-identifier", "app-id", "transaction-id",
             "redownload", ("source-app-id", "source-domain"), "fidelity-type", "did-win",
             "postback-sequence-index")


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def apple_signed_string(postback: dict[str, Any]) -> bytes:
    parts = []
    for field in ORDER_4_0:
        if isinstance(field, tuple):
            parts += [_text(postback[name]) for name in field if name in postback]
        else:
            parts.append(_text(postback[field]))
    return "\u2063".join(parts).encode()


def public_key(spki_b64: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(base64.b64decode(spki_b64))
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert isinstance(key.curve, ec.SECP256R1)
    return key


def verify_skan(postback: dict[str, Any], key: ec.EllipticCurvePublicKey) -> None:
    """Raises InvalidSignature unless ``key`` signed the postback."""
    signature = base64.b64decode(postback["attribution-signature"])
    key.verify(signature, apple_signed_string(postback), ec.ECDSA(hashes.SHA256()))


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_aak(jws: str, key: ec.EllipticCurvePublicKey) -> None:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    header, payload, signature = jws.split(".")
    raw = _b64url(signature)
    assert len(raw) == 64
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, f"{header}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
