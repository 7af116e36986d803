"""Device identities in their real formats, plus the Faker-drawn pools a run reuses.

Faker is slow (microseconds per call) and seeded per instance here, never globally: each
run builds small pools once (cities per country, search phrases, publisher app ids) from a
seed derived from the run's seed, then draws from them with the run's own ``random.Random``.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from faker import Faker

from sandbox.scenarios.devices import DeviceKind
from sandbox.scenarios.geo import COUNTRIES
from sandbox.scenarios.journey import ZERO_UUID, Device

_FAKERS: dict[str, Faker] = {}
_FAKER_LOCK = threading.Lock()
CITY_POOL = 48
PHRASE_POOL = 96
PUBLISHER_POOL = 6


def uuid4_text(rng: random.Random, *, upper: bool) -> str:
    """A random version-4 UUID with hyphens; IDFA/IDFV upper case, GAID lower case."""
    bits = rng.getrandbits(128)
    hexed = "%032x" % bits  # noqa: UP031 - an f-string parses its format spec on each call
    variant = "89ab"[bits >> 62 & 3]
    text = f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{variant}{hexed[17:20]}-{hexed[20:32]}"
    return text.upper() if upper else text


def hex_id(rng: random.Random, digits: int) -> str:
    # f"{bits:0{digits}x}" builds its format spec on every call; this is a third faster
    return "%0*x" % (digits, rng.getrandbits(digits * 4))  # noqa: UP031


def _faker(locale: str, seed: int) -> Faker:
    """A cached Faker for ``locale``, re-seeded for this run (callers hold _FAKER_LOCK)."""
    fake = _FAKERS.get(locale)
    if fake is None:
        fake = _FAKERS[locale] = Faker(locale)
    fake.seed_instance(seed)
    return fake


@dataclass(frozen=True)
class Pools:
    cities: dict[str, tuple[str, ...]]
    phrases: tuple[str, ...]
    publishers: tuple[str, ...]

    @classmethod
    def build(cls, seed: int, countries: Iterable[str]) -> Pools:
        with _FAKER_LOCK:
            cities = {}
            for code in sorted(set(countries)):
                fake = _faker(COUNTRIES[code].locale, seed)
                cities[code] = tuple(fake.city() for _ in range(CITY_POOL))
            fake = _faker("en_US", seed)
            phrases = tuple(" ".join(fake.words(nb=2)) for _ in range(PHRASE_POOL))
            publishers = tuple(
                f"com.{fake.domain_word()}.{fake.word()}".lower().replace("-", "")
                for _ in range(PUBLISHER_POOL)
            )
        return cls(cities, phrases, publishers)


def make_device(
    rng: random.Random, pools: Pools, kind: DeviceKind, country_code: str,
    *, att_status: int, gaid_zeroed: bool, install_time: float,
) -> Device:
    """One device; ``att_status`` matters on iOS, ``gaid_zeroed`` on Android."""
    country = COUNTRIES[country_code]
    cities = pools.cities[country_code]
    # positional (Device's field order), which is also the order of the draws
    device = Device(
        kind.platform, country_code, cities[int(rng.random() * len(cities))],
        country.language, country.random_ip(rng), kind.user_agent, kind.brand, kind.model,
        kind.os_version, country.carriers[int(rng.random() * len(country.carriers))],
        rng.random() < 0.6, None, None, None, None, None,
        f"{int(install_time * 1000)}-{rng.randrange(1_000_000, 10_000_000)}",
        hex_id(rng, 32),
    )
    if kind.platform == "ios":
        device.att_status = att_status
        device.idfa = uuid4_text(rng, upper=True) if att_status == 3 else ZERO_UUID
        device.idfv = uuid4_text(rng, upper=True)
    else:
        device.gaid = ZERO_UUID if gaid_zeroed else uuid4_text(rng, upper=False)
        device.android_id = hex_id(rng, 16)
    return device
