"""From rendered postbacks to planned deliveries: the target URL, the signing profile, the time.

``--target-base`` moves every URL onto another scheme, host and port, keeping its path and
query (a path in the base is put in front): ``http://127.0.0.1:8377/pb/x?a=1`` with base
``https://staging.example:9000/hooks`` becomes ``https://staging.example:9000/hooks/pb/x?a=1``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from sandbox.errors import ConfigError, SandboxError
from sandbox.scenarios.model import Scenario
from sandbox.scenarios.render import RenderedPostback
from sandbox.signing import NoneProfile, OutgoingRequest, Profile, parse_profile


@dataclass(frozen=True, slots=True)
class Planned:
    """One delivery to make: the request before signing (signing happens per attempt)."""

    postback: RenderedPostback
    request: OutgoingRequest
    profile: Profile
    send_at: float  # simulated unix seconds: when it is due on the run's timeline
    chaos: tuple[str, ...] = ()


def check_target_base(base: str | None) -> str | None:
    if base is None:
        return None
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise SandboxError(
            f"target-base {base!r}: expected http(s)://host[:port][/path], without a query",
            code="bad_target_base", field="target_base")
    return base


def map_target(url: str, base: str | None) -> str:
    if base is None:
        return url
    target, parts = urlsplit(base), urlsplit(url)
    prefix = target.path.rstrip("/")
    return urlunsplit((target.scheme, target.netloc, prefix + (parts.path or "/"), parts.query,
                       parts.fragment))


def signing_profiles(scenario: Scenario, env: Mapping[str, str]) -> dict[str, Profile]:
    """Each network's profile; a bad one (a missing environment variable) names the network."""
    profiles = {}
    for index, network in enumerate(scenario.networks):
        where = f"networks[{index}].signing"
        try:
            profiles[network.name] = parse_profile(dict(network.signing), env=env, where=where)
        except ConfigError as exc:
            source = scenario.source or "<scenario>"
            raise ConfigError(f"{source}: {exc.message}", field=where) from None
    return profiles


def plan(
    postbacks: Iterable[RenderedPostback],
    profiles: Mapping[str, Profile],
    *,
    target_base: str | None = None,
) -> Iterator[Planned]:
    unsigned = NoneProfile()
    for postback in postbacks:
        request = OutgoingRequest(postback.method, map_target(postback.url, target_base),
                                  postback.headers, postback.body or b"")
        yield Planned(postback, request, profiles.get(postback.network, unsigned),
                      postback.scheduled_at)
