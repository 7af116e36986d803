"""One planned SKAN postback becomes the signed JSON an ad network receives: SKAdNetwork 4.0
with ``attribution-signature``, or AdAttributionKit with a compact JWS (ES256).

Field order follows Apple's examples; the signature covers exactly the fields
Apple's documentation lists (the signing core builds the string). Signatures are deterministic
(RFC 6979), so the same key, seed and scenario give the same bytes.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.scenarios.render import RenderedPostback
from sandbox.scenarios.skan_section import SkanNetwork
from sandbox.signing import key_id, sign_jws, sign_postback
from sandbox.skan.rules import PostbackPlan, source_identifier

SKAN_COPY_PATH = "/.well-known/skadnetwork/report-attribution/"
AAK_COPY_PATH = "/.well-known/appattribution/report-attribution/"
MARKETPLACE = "com.apple.AppStore"
HEADERS = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Attribution:
    """What one install's attribution to one network fixes for all its postbacks."""

    network: SkanNetwork
    campaign: str
    four_digits: str
    app_id: int
    redownload: bool
    fidelity: int  # 1 click (StoreKit-rendered or web), 0 view-through
    source_app_id: int | None
    source_domain: str | None
    country: str
    install_id: str
    click_id: str
    install_time: float


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def skan_document(who: Attribution, plan: PostbackPlan, transaction_id: str,
                  version: str = "4.0") -> dict[str, Any]:
    """The unsigned SKAdNetwork 4.0 postback, keys in Apple's order."""
    doc: dict[str, Any] = {
        "version": version,
        "ad-network-id": who.network.ad_network_id,
        "source-identifier": source_identifier(who.four_digits, plan.digits),
        "app-id": who.app_id,
        "transaction-id": transaction_id,
        "redownload": who.redownload,
    }
    if plan.source_app and who.source_domain is not None:
        doc["source-domain"] = who.source_domain
    elif plan.source_app and who.source_app_id is not None:
        doc["source-app-id"] = who.source_app_id
    doc["fidelity-type"] = who.fidelity
    doc["did-win"] = plan.did_win
    _values(doc, plan)
    doc["postback-sequence-index"] = plan.index
    if plan.country:
        doc["country-code"] = who.country
    return doc


def aak_body(who: Attribution, plan: PostbackPlan, identifier: str,
             key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The AdAttributionKit postback: the signed JWS, then the unsigned values."""
    payload: dict[str, Any] = {
        "postback-identifier": identifier,
        "ad-network-identifier": who.network.ad_network_id,
        "source-identifier": source_identifier(who.four_digits, plan.digits),
        "advertised-item-identifier": who.app_id,
    }
    if plan.source_app and who.source_app_id is not None and who.source_domain is None:
        payload["publisher-item-identifier"] = who.source_app_id
    payload.update({
        "marketplace-identifier": MARKETPLACE,
        "impression-type": "app-impression",
        "conversion-type": "redownload" if who.redownload else "download",
        "did-win": plan.did_win,
        "postback-sequence-index": plan.index,
    })
    body: dict[str, Any] = {"jws-string": sign_jws(payload, key, kid=key_id(key))}
    _values(body, plan)
    body["ad-interaction-type"] = "click" if who.fidelity == 1 else "view"
    if plan.country:
        body["country-code"] = who.country
    return body


def _values(doc: dict[str, Any], plan: PostbackPlan) -> None:
    if plan.fine is not None:
        doc["conversion-value"] = plan.fine
    elif plan.coarse is not None:
        doc["coarse-conversion-value"] = plan.coarse


def signed_body(who: Attribution, plan: PostbackPlan, identifier: str,
                key: ec.EllipticCurvePrivateKey, version: str = "4.0") -> dict[str, Any]:
    if who.network.format == "aak":
        return aak_body(who, plan, identifier, key)
    return sign_postback(skan_document(who, plan, identifier, version), key)


def copy_url(base: str, network: SkanNetwork) -> str:
    """The developer copy endpoint on the advertiser's domain."""
    path = AAK_COPY_PATH if network.format == "aak" else SKAN_COPY_PATH
    return base.rstrip("/") + path


def rendered(who: Attribution, plan: PostbackPlan, body: dict[str, Any], identifier: str,
             *, seq: int, url: str, copy: bool) -> RenderedPostback:
    """The delivery stream's item; ``postback_id`` is the transaction id (per copy)."""
    return RenderedPostback(
        seq=seq,
        postback_id=f"{identifier}:developer-copy" if copy else identifier,
        kind=who.network.format,
        network=who.network.name,
        campaign=who.campaign,
        method="POST",
        url=url,
        headers=HEADERS,
        body=json.dumps(body, separators=(",", ":")).encode(),
        scheduled_at=who.install_time + plan.send_offset,
        install_id=who.install_id,
        click_id=who.click_id,
    )
