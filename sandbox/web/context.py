"""What every blueprint needs from the app: the store, the clock, the settings, the capture
desk."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from werkzeug.routing import IntegerConverter, Map

from sandbox.clock import Clock
from sandbox.settings import Settings
from sandbox.store import Store
from sandbox.web.capture_rules import CaptureDesk


class IdConverter(IntegerConverter):
    """``<id:name>``: a database id, so a URL naming an integer SQLite cannot hold is a 404."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=0, max=2**63 - 1)


@dataclass
class SandboxContext:
    store: Store
    clock: Clock
    settings: Settings
    desk: CaptureDesk  # every capture goes through it, the MMP ingest endpoints' too


def sandbox() -> SandboxContext:
    context: SandboxContext = current_app.extensions["sandbox"]
    return context
