"""Helpers for the delivery tests: a plain scripted HTTP server that fails on purpose, small
scenarios, hand-made postbacks, and a one-call delivery on any clock."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from sandbox.clock import Clock
from sandbox.delivery.engine import Engine, NetworkDelivery, Stats
from sandbox.delivery.log import DeliveryLog
from sandbox.delivery.pacing import Pacer
from sandbox.delivery.plan import Planned
from sandbox.delivery.policy import Policy
from sandbox.scenarios.render import RenderedPostback
from sandbox.signing import NoneProfile, OutgoingRequest, Profile
from sandbox.store import Store


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"
    delay: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes


class ScriptedServer:
    """Answers the n-th request with ``script[n]`` (the last entry repeats); records them all."""

    def __init__(self) -> None:
        self.script: list[Answer] = [Answer()]
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def answer(self, *answers: Answer) -> None:
        with self._lock:
            self.script = list(answers)
            self.seen = []

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            self.seen.append(Seen(request.method, request.path,
                                  environ.get("QUERY_STRING", ""),
                                  {k.lower(): v for k, v in request.headers.items()},
                                  request.get_data()))
            answer = self.script[min(len(self.seen), len(self.script)) - 1]
        if answer.delay:
            time.sleep(answer.delay)
        return Response(answer.body, status=answer.status, headers=answer.headers)(
            environ, start_response)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def postback(
    url: str, *, seq: int = 1, kind: str = "install", at: float = 1767571200.0,
    method: str = "GET", body: bytes | None = None, install_id: str = "ins_1",
    headers: tuple[tuple[str, str], ...] = (), event_name: str | None = None,
) -> RenderedPostback:
    return RenderedPostback(
        seq=seq, postback_id=f"pb_{seq:024x}", kind=kind, network="net", campaign="c1",
        method=method, url=url, headers=headers, body=body, scheduled_at=at,
        install_id=install_id, click_id=f"clk_{install_id}",
        event_id=None if kind == "install" else f"ev_{seq}",
        event_name=event_name if kind == "event" else None,
    )


def planned(item: RenderedPostback, profile: Profile | None = None) -> Planned:
    request = OutgoingRequest(item.method, item.url, item.headers, item.body or b"")
    return Planned(item, request, profile or NoneProfile(), item.scheduled_at)


def deliver(
    store: Store, clock: Clock, items: Sequence[Planned], *, policy: Policy | None = None,
    concurrency: int = 1, timeout: float = 2.0, speed: float | None = None,
    run_id: int | None = None, per_network: Mapping[str, NetworkDelivery] | None = None,
) -> Stats:
    log = DeliveryLog(store, run_id=run_id)
    engine = Engine(log, clock, policy=policy or Policy(jitter=0.0), concurrency=concurrency,
                    timeout=timeout, per_network=per_network)
    return asyncio.run(engine.run(list(items), Pacer(clock, speed)))


def attempts_of(store: Store, delivery_id: int) -> list[Any]:
    return store.deliveries.attempts(delivery_id)


def only_delivery(store: Store) -> Any:
    rows = list(store.connection().execute("SELECT * FROM deliveries"))
    assert len(rows) == 1, rows
    return rows[0]


def small_scenario(url: str, **extra: Any) -> dict[str, Any]:
    """A scenario of a few dozen installs sent to ``url`` (a /pb/<channel>/... URL)."""
    return {
        "name": "small", "seed": 11, "days": 1,
        "app": {"name": "A", "ios": {"app_id": 525463029},
                "android": {"package": "com.example.a"}},
        "users": {"purchases": None},
        "networks": [{
            "name": "net", "postbacks": {"install": url},
            "campaigns": [{"name": "c1", "clicks": 400, "install_rate": 0.05}],
        }],
        **extra,
    }
