"""The Flask application factory: settings, the store, blueprints, error handlers and the
admin gate in front of them all. No routes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect

from sandbox.clock import Clock, SystemClock
from sandbox.resources import static_dir
from sandbox.settings import Settings, load_settings
from sandbox.store import Store
from sandbox.store.retention import RetentionPolicy
from sandbox.web.api import api
from sandbox.web.assert_api import assert_api
from sandbox.web.auth import AdminGate, Gated
from sandbox.web.capture_rules import CaptureDesk, ReceiverLimits
from sandbox.web.config_file import apply_config_file
from sandbox.web.context import IdConverter, SandboxContext
from sandbox.web.errors import register_error_handlers
from sandbox.web.ingest import ingest
from sandbox.web.inspector import inspector
from sandbox.web.live_api import live_api
from sandbox.web.request_json import BoundedJSONProvider
from sandbox.web.runs_api import runs_api
from sandbox.web.skan_api import skan_api
from sandbox.web.timeline import timeline
from sandbox.web.tracker import tracker


def create_app(
    config: Mapping[str, Any] | Settings | None = None,
    *,
    clock: Clock | None = None,
    store: Store | None = None,
) -> Flask:
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask("sandbox", static_folder=str(static_dir()), static_url_path="/static")
    app.json = BoundedJSONProvider(app)
    app.json.sort_keys = False
    app.url_map.converters["id"] = IdConverter
    store = store or Store(settings.db)
    clock = clock or SystemClock()
    retention = RetentionPolicy(max_postbacks=settings.max_postbacks,
                                max_age_seconds=settings.max_age_seconds)
    desk = CaptureDesk(store, clock, ReceiverLimits.from_settings(settings), retention)
    context = SandboxContext(store=store, clock=clock, settings=settings, desk=desk)
    app.extensions["sandbox"] = context
    apply_config_file(context.store, settings.config)

    app.register_blueprint(api)
    app.register_blueprint(assert_api)
    app.register_blueprint(inspector)
    app.register_blueprint(runs_api)
    app.register_blueprint(live_api)
    app.register_blueprint(timeline)
    app.register_blueprint(tracker)
    app.register_blueprint(ingest)
    app.register_blueprint(skan_api)
    app.add_url_rule("/", "root", lambda: redirect("/ui/"))
    register_error_handlers(app)
    gate = AdminGate(settings.token, required=settings.requires_token, sessions=store.sessions,
                     clock=clock)
    app.wsgi_app = Gated(gate, app.wsgi_app)  # type: ignore[method-assign]
    return app
