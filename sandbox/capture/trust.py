"""A channel's settings as the receiver uses them: how it answers, how it verifies, and
where it forwards (tee mode, ``sandbox/capture/forwarding.py``).

Both come from the config file or ``PUT /api/channels/<channel>`` and are stored as JSON text
(the verification profile exactly as configured: ``{"env": NAME}`` secret references stay
references and are resolved from the process environment when parsed). ``judge`` turns one
request into a ``Verdict`` with the shared signing core, so sender and receiver agree.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sandbox.capture.channels import DEFAULT_ANSWER, ChannelAnswer, parse_answer
from sandbox.capture.forwarding import ForwardSettings, parse_forward
from sandbox.capture.record import InboundRequest
from sandbox.errors import SandboxError
from sandbox.signing import (
    IncomingRequest,
    NoneProfile,
    Profile,
    Secret,
    SeenBefore,
    TrustedKey,
    Verdict,
    parse_profile,
    profile_to_dict,
    verify,
)

# Verdicts whose replay key marks a delivery as accepted (a later copy is then a replay).
REPLAY_RECORDING = ("valid", "replayed")


@dataclass(frozen=True)
class ChannelSettings:
    answer: ChannelAnswer = DEFAULT_ANSWER
    profile: Profile | None = None  # None: the channel does not verify (costs nothing)
    forward: ForwardSettings | None = None  # None: the channel does not forward (tee mode)


def parse_verification(
    raw: Any, *, env: Mapping[str, str] | None = None, where: str = "verification"
) -> Profile | None:
    """A profile from a config dict; ``None`` (or kind ``none`` without cidrs) verifies nothing.

    Raises ConfigError naming the field; env references are resolved from ``env`` (default:
    the process environment), so a missing variable is reported when the config is loaded.
    """
    if raw is None:
        return None
    profile = parse_profile(raw, env=os.environ if env is None else env, where=where)
    if isinstance(profile, NoneProfile) and not profile.cidrs:
        return None
    return profile


def parse_channel(
    answer_text: str | None, verification_text: str | None, forward_text: str | None = None
) -> ChannelSettings:
    """Settings from the stored JSON texts (already validated when they were stored)."""
    answer = DEFAULT_ANSWER if answer_text is None else parse_answer(json.loads(answer_text))
    profile = None
    if verification_text is not None:
        profile = parse_verification(json.loads(verification_text))
    forward = None if forward_text is None else parse_forward(json.loads(forward_text))
    return ChannelSettings(answer, profile, forward)


@functools.lru_cache(maxsize=256)
def cached_channel(texts: tuple[str, str | None, str | None]) -> ChannelSettings:
    """``parse_channel`` of a channel's stored texts, parsed once per distinct texts (every
    capture reads them; a change to the settings is a change to the texts)."""
    return parse_channel(*texts)


def verification_view(raw: Any, *, reveal: bool) -> dict[str, Any] | None:
    """The verification settings as the API shows them: inline secrets masked unless revealed."""
    if raw is None:
        return None
    profile = parse_profile(raw, env=os.environ, where="verification")
    return profile_to_dict(profile, reveal_secrets=reveal)


def configured_secrets(verifications: Iterable[Any]) -> list[str]:
    """The secret values of stored verification settings (masked wherever they show up)."""
    found = []
    for raw in verifications:
        try:
            profile = parse_profile(raw, env=os.environ)
        except SandboxError:
            continue
        found += [
            value.value for item in fields(profile)
            if isinstance(value := getattr(profile, item.name), Secret)
        ]
    return found


def incoming(request: InboundRequest) -> IncomingRequest:
    return IncomingRequest(
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=tuple(request.headers),
        body=request.body,
        remote_addr=request.remote_addr,
    )


def judge(
    profile: Profile,
    request: InboundRequest,
    *,
    now: datetime,
    seen_before: SeenBefore | None,
    sandbox_keys: tuple[TrustedKey, ...] = (),
) -> Verdict:
    """The verdict on one received request under its channel's profile."""
    return verify(
        profile, incoming(request), now=now, seen_before=seen_before, sandbox_keys=sandbox_keys
    )


def stored_replay_key(result: Verdict) -> str | None:
    """The key stored with the capture, so a later copy of an accepted delivery is a replay."""
    return result.replay_key if result.verdict in REPLAY_RECORDING else None
