"""The certification battery: what ``certify`` sends to a partner's postback endpoint, one case
at a time, and how each answer is judged, with what a real MMP would do next.

Pure: cases are built from ``OneShot`` postbacks (``scenarios/one_shot.py``) and judged from
what was sent and answered (``Exchange``); ``certify.py`` sends them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sandbox.delivery.policy import Policy
from sandbox.scenarios.networks import retry_policy
from sandbox.scenarios.one_shot import OneShot
from sandbox.scenarios.presets import PRESETS

PASS, WARN, FAIL, SKIPPED = "pass", "warn", "fail", "skipped"
UNICODE = "Café 東京 ✓ naïve"
ENCODED = "a&b=c/d?e%f+g #h"
RETRY_ATTEMPTS = 3
EVENTS = ("af_purchase", "af_complete_registration", "af_add_to_cart", "af_level_achieved")


@dataclass(frozen=True)
class Exchange:
    """One request of a case as it went, and its answer (the last attempt's)."""

    method: str
    url: str
    body: bytes | None
    status: int | None
    latency_ms: float | None
    error: str | None
    attempts: int
    answer: bytes = b""
    run_id: int | None = None
    delivery_id: int | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: str  # pass | warn | fail | skipped
    says: str
    next_step: str  # what a real MMP would do next


@dataclass(frozen=True)
class Case:
    name: str
    what: str  # what is sent, in a sentence
    shots: tuple[OneShot, ...]  # the requests, in order (a repeat sends the same one twice)
    judge: Callable[[Sequence[Exchange], str], Verdict]
    slow: bool = False  # sent byte by byte over a while, not through the delivery engine
    skip: str | None = None  # why the case is not run


def ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def mmp_policy(preset: str) -> Policy:
    """How the preset's MMP retries: its delivery habit, else the sandbox's default policy."""
    habit = (PRESETS[preset].delivery or {}).get("retry")
    return Policy() if habit is None else Policy.from_scenario(retry_policy(habit))


def next_step(exchange: Exchange, preset: str) -> str:
    """What the MMP does after this answer: the retry rule is the delivery policy's
    (``policy.py``), with the preset's habits where it has them."""
    habits = PRESETS[preset].habits
    later = f" ({habits})" if habits else ""
    if ok(exchange.status):
        return "marks it delivered and moves on"
    if not mmp_policy(preset).retries(exchange.status, None):
        return (f"gives up: {exchange.status} is not retried{later}, so the postback is lost")
    if exchange.status is None:
        return f"retries: no answer ({exchange.error}){later}"
    return f"retries later{later}"


def accepted(exchanges: Sequence[Exchange], preset: str) -> Verdict:
    """A valid postback: a 2xx is the only right answer."""
    last = exchanges[-1]
    if ok(last.status):
        return Verdict(PASS, f"accepted ({last.status})", next_step(last, preset))
    if last.status is None:
        return Verdict(FAIL, f"no answer: {last.error}", next_step(last, preset))
    if last.status >= 500:
        return Verdict(FAIL, f"server error ({last.status})", next_step(last, preset))
    return Verdict(FAIL, f"refused a valid postback ({last.status})", next_step(last, preset))


def repeated(exchanges: Sequence[Exchange], preset: str) -> Verdict:
    """The same postback twice (same click, event and transaction ids)."""
    first, second = exchanges[0], exchanges[-1]
    if not ok(first.status):
        return Verdict(FAIL, f"the first copy was not accepted ({first.status or first.error})",
                       next_step(first, preset))
    said_duplicate = b"duplicate" in second.answer.lower()
    if second.status == 409 or (ok(second.status) and said_duplicate):
        return Verdict(PASS, f"deduplicated ({second.status})",
                       "marks the repeat delivered; counted once")
    if ok(second.status):
        return Verdict(WARN, f"accepted the repeat ({second.status}) without saying it was a "
                       "duplicate: check the endpoint counts it once",
                       "marks it delivered; a repeat after a lost answer is normal")
    return Verdict(FAIL, f"the repeat got {second.status or second.error}: a resend after a "
                   "lost answer would fail", next_step(second, preset))


def recovers(exchanges: Sequence[Exchange], preset: str) -> Verdict:
    """Retried on the endpoint's own 5xx, as MMPs do: does it come back?"""
    last = exchanges[-1]
    if ok(last.status) and last.attempts > 1:
        return Verdict(PASS, f"recovered on attempt {last.attempts} after a 5xx",
                       "marks it delivered after the retry")
    if ok(last.status):
        return Verdict(PASS, "answered 2xx at once (no 5xx to retry)", next_step(last, preset))
    return Verdict(FAIL, f"still {last.status or last.error} after {last.attempts} attempts",
                   next_step(last, preset))


def refused(exchanges: Sequence[Exchange], preset: str) -> Verdict:
    """A wrong token or signature must be refused."""
    last = exchanges[-1]
    if last.status in (401, 403):
        return Verdict(PASS, f"refused ({last.status})", "drops it: a signing problem to fix")
    if ok(last.status):
        return Verdict(FAIL, f"accepted a wrong token or signature ({last.status})",
                       "marks it delivered: forged postbacks would count")
    if last.status is not None and 400 <= last.status < 500:
        return Verdict(WARN, f"refused, but with {last.status} (401 or 403 says why)",
                       "gives up: a 4xx is not retried")
    return Verdict(FAIL, f"answered {last.status or last.error} instead of refusing",
                   next_step(last, preset))


def wrong_signing(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The profile with a wrong secret or token (a Standard Webhooks secret stays base64)."""
    wrong = dict(profile)
    for key in ("secret", "token"):
        if key in wrong:
            value = str(wrong[key])
            wrong[key] = ("whsec_bm90IHRoZSBzZWNyZXQgYXQgYWxsIQ=="
                          if value.startswith("whsec_") else f"not-{value}")
    return wrong


def battery(base: OneShot, profile: Mapping[str, Any] | None) -> list[Case]:
    """The cases, in the order they are sent; ``base`` names the preset, target and seed."""
    install = replace(base, kind="install", event=None, values={})
    purchase = replace(base, kind="event", event="af_purchase", values={})
    cases = [Case("install", "an install postback", (install,), accepted)]
    cases += [Case(f"event {name}", f"an in-app event postback ({name})",
                   (replace(purchase, event=name),), accepted) for name in EVENTS]
    cases += [
        Case("unicode values", f"a purchase whose parameters hold {UNICODE!r}",
             (replace(purchase, values={"param.af_content_type": UNICODE,
                                        "search_query": UNICODE}),), accepted),
        Case("percent-encoded values", f"a purchase with an order id of {ENCODED!r}",
             (replace(purchase, values={"order_id": ENCODED}),), accepted),
        Case("large revenue", "a purchase of 999999.99 USD",
             (replace(purchase, values={"revenue": "999999.99", "currency": "USD"}),),
             accepted),
        Case("zero revenue", "a purchase of 0 USD (a free trial converting)",
             (replace(purchase, values={"revenue": "0", "currency": "USD"}),), accepted),
        Case("repeated postback", "the same purchase twice: same click, event and "
             "transaction ids", (purchase, purchase), repeated),
        Case("retry after 5xx", f"a purchase retried on a 5xx, up to {RETRY_ATTEMPTS} "
             "attempts", (replace(purchase, attempts=RETRY_ATTEMPTS),), recovers),
    ]
    no_profile = None if profile is not None else "no --profile given"
    cases.append(Case("wrong signature", "an install signed with a wrong secret or token",
                      (replace(install, signing=wrong_signing(profile or {})),), refused,
                      skip=no_profile))
    cases.append(Case("slow request", "an install whose request arrives byte by byte over "
                      "about a second, as from a slow network", (install,), accepted, slow=True))
    # Each case its own user (ids), so no case repeats another's postback by accident.
    return [replace(case, shots=tuple(replace(shot, seed=base.seed + number)
                                      for shot in case.shots))
            for number, case in enumerate(cases)]


@dataclass
class CaseResult:
    case: Case
    exchanges: list[Exchange] = field(default_factory=list)
    verdict: Verdict = Verdict(SKIPPED, "not run", "")
