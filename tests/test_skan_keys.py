"""The sandbox's SKAN signing key: made once, rotated, old keys listed and still trusted; the
public key over HTTP and on the command line."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from sandbox.cli import main
from sandbox.clock import FakeClock
from sandbox.signing import key_id, public_key_b64, sign_postback
from sandbox.skan import SandboxKeyring, current_key, rotate, signing_key
from sandbox.store import Store
from sandbox.web import openapi


def test_the_key_is_made_once_and_kept(store: Store, clock: FakeClock) -> None:
    first = current_key(store, clock)
    assert current_key(store, clock) == first
    assert store.skan_keys.all() == [first] and first.current
    key = signing_key(store, clock)
    assert public_key_b64(key) == first.public_key and key_id(key) == first.key_id


def test_rotation_retires_the_old_key_and_lists_it(store: Store, clock: FakeClock) -> None:
    old = current_key(store, clock)
    clock.advance(60)
    new = rotate(store, clock)
    assert new.key_id != old.key_id and new.current
    listed = store.skan_keys.all()
    assert [k.key_id for k in listed] == [new.key_id, old.key_id]
    assert listed[1].retired_at == new.created_at and not listed[1].current
    assert current_key(store, clock) == new


def test_a_second_process_sees_a_rotation(store: Store, clock: FakeClock, db_path: Path
                                          ) -> None:
    keyring = SandboxKeyring(store)
    assert keyring.trusted() == ()
    old = current_key(store, clock)
    assert [k.name for k in keyring.trusted()] == [old.key_id]
    other = Store(store.path)  # as another worker process would
    try:
        new = rotate(other, clock)
    finally:
        other.close()
    assert [k.name for k in keyring.trusted()] == [new.key_id, old.key_id]


def test_the_keyring_parses_keys_only_when_they_change(store: Store, clock: FakeClock) -> None:
    current_key(store, clock)
    keyring = SandboxKeyring(store)
    assert keyring.trusted() is keyring.trusted()


def load_spki(text: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    return key


def schema_errors(name: str, document: object) -> list[str]:
    doc = openapi.document()
    registry = Registry().with_resource("urn:openapi", Resource.from_contents(
        {**doc, "$schema": "https://json-schema.org/draft/2020-12/schema"}))
    validator = Draft202012Validator({"$ref": f"urn:openapi#/components/schemas/{name}"},
                                     registry=registry)
    return [error.message for error in validator.iter_errors(document)]


def test_public_key_endpoint_in_apples_form(client, store: Store, clock: FakeClock) -> None:
    answer = client.get("/api/skan/public-key")
    assert answer.status_code == 200 and schema_errors("SkanKey", answer.json) == []
    view = answer.json
    public = load_spki(view["public_key"])
    assert view["key_id"] == key_id(public) and view["current"] is True
    signed = sign_postback({"version": "4.0", "ad-network-id": "a", "source-identifier": "12",
                            "app-id": 1, "transaction-id": "t", "redownload": False,
                            "fidelity-type": 1, "did-win": True,
                            "postback-sequence-index": 0}, signing_key(store, clock))
    assert signed["attribution-signature"]  # the stored private key matches the published one
    assert client.get("/api/skan/public-key").json == view


def test_rotate_endpoint_and_key_list(client) -> None:
    before = client.get("/api/skan/public-key").json
    rotated = client.post("/api/skan/keys/rotate")
    assert rotated.status_code == 200 and schema_errors("SkanKey", rotated.json) == []
    assert rotated.json["public_key"] != before["public_key"]
    assert client.get("/api/skan/public-key").json == rotated.json
    listed = client.get("/api/skan/keys")
    assert listed.status_code == 200 and schema_errors("SkanKeys", listed.json) == []
    keys = listed.json["keys"]
    assert [k["key_id"] for k in keys] == [rotated.json["key_id"], before["key_id"]]
    assert keys[1]["retired_at"] is not None and keys[1]["current"] is False
    assert "private" not in json.dumps(listed.json).lower()


@pytest.mark.parametrize(("method", "url"), [
    ("GET", "/api/skan/public-key?format=pem"), ("GET", "/api/skan/keys?limit=1"),
    ("POST", "/api/skan/keys/rotate?now=1")])
def test_unknown_parameters_are_refused(client, method: str, url: str) -> None:
    answer = client.open(url, method=method)
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "bad_parameter"
    assert answer.json["error"]["field"] == url.split("?")[1].split("=")[0]


def test_cli_show_rotate_list(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "keys.db")
    shown = runner.invoke(main, ["skan-key", "show", "--db", db])
    assert shown.exit_code == 0, shown.output
    load_spki(shown.stdout.strip())
    rotated = runner.invoke(main, ["skan-key", "rotate", "--db", db, "--json"])
    assert rotated.exit_code == 0, rotated.output
    new = json.loads(rotated.stdout)
    assert new["current"] and new["public_key"] != shown.stdout.strip()
    listed = runner.invoke(main, ["skan-key", "list", "--db", db, "--json"])
    keys = json.loads(listed.stdout)["keys"]
    assert [k["public_key"] for k in keys] == [new["public_key"], shown.stdout.strip()]
    text = runner.invoke(main, ["skan-key", "list", "--db", db]).stdout.splitlines()
    assert len(text) == 2 and "current" in text[0] and "retired" in text[1]
