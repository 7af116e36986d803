"""The outcome of verifying one request, and the one rule for what ``enforce`` answers."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

VerdictName = Literal["valid", "missing", "invalid", "stale", "replayed", "not_allowlisted"]
VERDICTS: tuple[VerdictName, ...] = (
    "valid",
    "missing",
    "invalid",
    "stale",
    "replayed",
    "not_allowlisted",
)


@dataclass(frozen=True)
class Verdict:
    """``explanation`` always has a human ``summary``; a failed signature adds the canonical
    string expected, what was received, algorithm, encoding, both signatures and
    ``likely_causes`` (dicts with ``cause``, ``confirmed``, ``detail``).

    ``replay_key`` is the id a replay check uses (``webhook-id``, SKAN ``transaction-id``,
    AdAttributionKit ``postback-identifier``): the receiver stores it with the capture so its
    ``seen_before`` can look it up later.
    """

    verdict: VerdictName
    kind: str
    explanation: dict[str, Any] = field(default_factory=dict)
    replay_key: str | None = None

    @property
    def ok(self) -> bool:
        return self.verdict == "valid"

    @property
    def summary(self) -> str:
        return str(self.explanation.get("summary", self.verdict))

    def refusal_status(self, mode: str) -> int | None:
        """The status ``enforce`` answers with (401, or 403 outside the allowlist); None to
        accept. ``flag`` never refuses."""
        if mode != "enforce" or self.ok:
            return None
        return 403 if self.verdict == "not_allowlisted" else 401

    def public_dict(self) -> dict[str, Any]:
        """Safe for a response body to the sender: no expected signature or token."""
        return {"verdict": self.verdict, "kind": self.kind, "summary": self.summary}

    def to_dict(self) -> dict[str, Any]:
        """Everything, for the inspector and the API (which sit behind the admin token)."""
        return {
            "verdict": self.verdict,
            "kind": self.kind,
            "replay_key": self.replay_key,
            "explanation": self.explanation,
        }

    def with_verdict(self, verdict: VerdictName, summary: str, **extra: Any) -> Verdict:
        explanation = {**self.explanation, "summary": summary, **extra}
        return replace(self, verdict=verdict, explanation=explanation)


def verdict(
    name: VerdictName, kind: str, summary: str, *, replay_key: str | None = None, **extra: Any
) -> Verdict:
    return Verdict(name, kind, {"summary": summary, **extra}, replay_key)
