"""The sandbox's own SKAN / AdAttributionKit key: made on first use, kept in the database,
rotatable; retired keys stay trusted so postbacks signed before a rotation still verify.

``SandboxKeyring`` gives the receiver the public keys to trust, parsed once and re-read only
when a key was added (one indexed ``max(id)`` per verified SKAN capture, nothing for others).
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from sandbox.clock import Clock, iso_utc
from sandbox.signing import (
    TrustedKey,
    generate_private_key,
    key_id,
    load_public_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_b64,
)
from sandbox.store import Store
from sandbox.store.skan_keys import StoredKey

ALGORITHM = "ECDSA P-256 SHA-256"


def _new(store: Store, clock: Clock, *, retire_current: bool) -> StoredKey:
    key = generate_private_key()
    return store.skan_keys.add(key_id(key), public_key_b64(key), private_key_to_pem(key),
                               iso_utc(clock.now()), retire_current=retire_current)


def current_key(store: Store, clock: Clock) -> StoredKey:
    """The current key, made now when the database has none yet."""
    return store.skan_keys.current() or _new(store, clock, retire_current=False)


def signing_key(store: Store, clock: Clock) -> ec.EllipticCurvePrivateKey:
    return private_key_from_pem(current_key(store, clock).private_pem)


def rotate(store: Store, clock: Clock) -> StoredKey:
    """Retire the current key (it stays trusted) and make a new current one."""
    return _new(store, clock, retire_current=True)


def key_view(stored: StoredKey) -> dict[str, Any]:
    """A key as the API shows it: never the private half."""
    return {
        "key_id": stored.key_id,
        "public_key": stored.public_key,
        "algorithm": ALGORITHM,
        "created_at": stored.created_at,
        "retired_at": stored.retired_at,
        "current": stored.current,
    }


def keys_view(store: Store, clock: Clock) -> dict[str, Any]:
    current_key(store, clock)
    return {"keys": [key_view(stored) for stored in store.skan_keys.all()]}


class SandboxKeyring:
    """The sandbox's public keys (current and retired) as the verifier trusts them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cached: tuple[int, tuple[TrustedKey, ...]] = (-1, ())

    def trusted(self) -> tuple[TrustedKey, ...]:
        version = self.store.skan_keys.version()
        cached_version, keys = self._cached
        if version != cached_version:
            keys = tuple(TrustedKey(stored.key_id, load_public_key(stored.public_key))
                         for stored in self.store.skan_keys.all())
            self._cached = (version, keys)
        return keys
