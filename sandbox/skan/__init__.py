"""Apple SKAdNetwork 4.0 and AdAttributionKit postbacks, synthesised from a scenario's iOS
installs and signed with the sandbox's own key (verification lives in ``sandbox.signing``).

Modules: ``config`` (the scenario's ``skan:`` section), ``rules`` (windows, delays, tiers,
conversion values: pure), ``postbacks`` (the signed JSON), ``stream`` (journeys in, rendered
postbacks out, in due order), ``keyring`` (the key in the database, rotation, the receiver's
trusted keys).

    stream = skan_stream(store, scenario, seed, clock=clock)   # None: no skan: section
    rendered = with_skan(render_run(scenario, seed, renderer=r), r, stream)
"""

from __future__ import annotations

from sandbox.clock import Clock, SystemClock
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.skan_section import SkanConfig, load_skan_config, skan_config_from_data
from sandbox.skan.keyring import SandboxKeyring, current_key, keys_view, rotate, signing_key
from sandbox.skan.stream import SkanStream, with_skan
from sandbox.store import Store

__all__ = [
    "SandboxKeyring",
    "SkanConfig",
    "SkanStream",
    "current_key",
    "keys_view",
    "load_skan_config",
    "rotate",
    "signing_key",
    "skan_config_from_data",
    "skan_stream",
    "skan_stream_from_db",
    "with_skan",
]


def skan_stream(store: Store, scenario: Scenario, seed: int | None = None, *,
                clock: Clock | None = None) -> SkanStream | None:
    """The run's SKAN stream signed with the database's current key; None without ``skan:``.
    Raises ScenarioError for a mistake in the section."""
    config = load_skan_config(scenario)
    if config is None:
        return None
    return SkanStream(scenario, config, signing_key(store, clock or SystemClock()), seed)


def skan_stream_from_db(db: str, scenario: Scenario, seed: int | None = None
                        ) -> SkanStream | None:
    """The same for ``run --dry-run``: opens the database only when the scenario has SKAN."""
    if load_skan_config(scenario) is None:
        return None
    store = Store(db)
    try:
        return skan_stream(store, scenario, seed)
    finally:
        store.close()
