"""``postback-sandbox send``: one realistic postback, now, like ``stripe trigger`` for
payments. The core builds it (``scenarios/one_shot.py``) and a one-postback run delivers and
logs it (``delivery/run.py``); this face parses, prints the request as sent (and as curl) and
the answer.

Exit codes: 0 answered 2xx; 1 not delivered (a non-2xx answer or no answer, after the
retries asked for); 2 usage or configuration error.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import Any

import click

from sandbox.cli import main
from sandbox.cli._options import PRESET_NAMES, db_option, read_profile
from sandbox.clock import SystemClock
from sandbox.delivery.one import deliver_one
from sandbox.delivery.plan import plan, signing_profiles
from sandbox.errors import ConfigError
from sandbox.scenarios.one_shot import EVENTS, OneShot, one_postback
from sandbox.signing import sign
from sandbox.store import Store


@main.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("kind", type=click.Choice(["install", "event"]))
@click.argument("event", required=False, metavar="[EVENT]")
@click.option("--preset", required=True, metavar="NAME",
              help=f"Whose postback shape: {', '.join(PRESET_NAMES)}.")
@click.option("--to", "to", metavar="URL", help="The endpoint the preset's paths go under.")
@click.option("--channel", metavar="NAME",
              help="Send to a running sandbox's channel instead: --url/pb/NAME.")
@click.option("--url", "sandbox_url", default="http://127.0.0.1:8377", show_default=True,
              envvar="SANDBOX_SERVER", help="The running sandbox --channel sends to.")
@click.option("--set", "values", multiple=True, metavar="KEY=VALUE",
              help="Replace one value: revenue, currency, click_id, idfa, country, ... or "
                   "param.NAME for an event parameter (repeatable).")
@click.option("--profile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Sign with this profile: a YAML or JSON file shaped like a network's "
                   "`signing:` (kind: hmac, query_token, header_token, standard_webhooks).")
@click.option("--platform", type=click.Choice(["ios", "android"]), default="ios",
              show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Same seed, same ids and device (default: a new one each time, printed); "
                   "times are now's.")
@click.option("--retries", type=click.IntRange(0, 19), default=0, show_default=True,
              help="Retries after a timeout, connection error, 408, 429 or 5xx.")
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=5.0, show_default=True,
              help="Seconds to wait for each answer.")
@click.option("--dry-run", is_flag=True, help="Print the request; send nothing.")
@db_option("SQLite database (or postgresql:// URL) where the delivery is recorded.")
def send(kind: str, event: str | None, preset: str, to: str | None, channel: str | None,
         sandbox_url: str, values: tuple[str, ...], profile: Path | None, platform: str,
         seed: int | None, retries: int, timeout: float, dry_run: bool, db: str) -> None:
    """Send one realistic install or in-app event postback now, as a preset's MMP would.

    \b
    postback-sandbox send install --preset appsflyer --to https://partner.example/pb
    postback-sandbox send event af_purchase --preset branch --channel partner \\
        --set revenue=9.99 --set currency=EUR
    """
    shot = OneShot(
        preset=preset, kind=kind, to=_target(to, channel, sandbox_url), event=_event(kind, event),
        values=_pairs(values), seed=_seed(seed), platform=platform,
        signing=read_profile(profile), attempts=retries + 1, timeout=timeout,
        at=SystemClock().now().timestamp())
    scenario, postback = one_postback(shot)
    profiles = signing_profiles(scenario, os.environ)  # a secret may be {env: NAME}
    item = next(plan([postback], profiles))
    click.echo(f"{kind} postback, preset {preset} (seed {shot.seed}):")
    if dry_run:
        signed = sign(item.profile, item.request, message_id=postback.postback_id,
                      at=SystemClock().now())
        _print_request(signed.method, signed.url, signed.headers, signed.body)
        return
    sys.exit(_deliver(scenario, item, shot, db))


def _deliver(scenario: Any, item: Any, shot: OneShot, db: str) -> int:
    store = Store(db)
    try:
        sent = deliver_one(store, scenario, item, seed=shot.seed, clock=SystemClock())
        delivery = sent.delivery
        _print_request(delivery.method, delivery.url, [tuple(h) for h in delivery.headers],
                       delivery.body or b"")
        for attempt in sent.attempts:
            latency = "-" if attempt.latency_ms is None else f"{attempt.latency_ms:.1f} ms"
            answer = attempt.status if attempt.status is not None else attempt.error
            click.echo(f"answer (attempt {attempt.number}): {answer} in {latency}")
        if sent.last is not None and sent.last.response_snippet:
            click.echo(sent.last.response_snippet.decode("utf-8", "replace"))
        click.echo(f"recorded: delivery {delivery.id} of run {sent.run_id} in {store.where} "
                   f"({delivery.state})")
        return 0 if sent.delivered else 1
    finally:
        store.close()


def _print_request(method: str, url: str, headers: Any, body: bytes) -> None:
    click.echo(f"{method} {url}")
    for name, value in headers:
        click.echo(f"{name}: {value}")
    if body:
        click.echo("")
        click.echo(body.decode("utf-8", "replace"))
    curl = ["curl", "-X", method, url, *[part for name, value in headers
                                         for part in ("-H", f"{name}: {value}")]]
    if body:
        curl += ["--data-binary", body.decode("utf-8", "replace")]
    click.echo(f"curl: {shlex.join(curl)}")


def _target(to: str | None, channel: str | None, sandbox_url: str) -> str:
    if (to is None) == (channel is None):
        raise ConfigError("send: give --to URL (a partner's endpoint) or --channel NAME (a "
                          "running sandbox's channel), one of them", field="to")
    return to if to is not None else f"{sandbox_url.rstrip('/')}/pb/{channel}"


def _event(kind: str, event: str | None) -> str | None:
    if kind == "event" and event is None:
        raise ConfigError(f"send event: name the event, one of {', '.join(EVENTS)}",
                          field="event")
    if kind == "install" and event is not None:
        raise ConfigError(f"send install: takes no event name (got {event!r})", field="event")
    return event


def _pairs(values: tuple[str, ...]) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, equals, text = value.partition("=")
        if not equals or not key:
            raise ConfigError(f"--set {value!r}: expected KEY=VALUE", field="set")
        pairs[key] = text
    return pairs


def _seed(seed: int | None) -> int:
    if seed is not None:
        return seed
    import secrets
    return secrets.randbelow(1_000_000)
