"""What every blueprint needs from the app: the store, the clock, the settings."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from sandbox.clock import Clock
from sandbox.settings import Settings
from sandbox.store import Store


@dataclass
class SandboxContext:
    store: Store
    clock: Clock
    settings: Settings


def sandbox() -> SandboxContext:
    context: SandboxContext = current_app.extensions["sandbox"]
    return context
