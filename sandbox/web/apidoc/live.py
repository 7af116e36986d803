"""OpenAPI for the live loop (issue 8): networks and campaigns at run time, one timeline per
click, reconciliation, and the non-admin surfaces that client code calls: the click tracker
(``/c/``) and the MMP ingest API (``/mmp/``). Every request to ``/mmp/`` is also recorded as
a capture on channel ``mmp``.
"""

from __future__ import annotations

from typing import Any

from sandbox.live.ingest import EVENT_NAME, ID_FORMATS
from sandbox.web.apidoc.parts import ERRORS, NAME_SCHEMA, json_response, param, ref

NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
NULLABLE_NUMBER = {"type": ["number", "null"]}
OBJECT = {"type": "object"}
NAME = param("name", "path", NAME_SCHEMA)
NON_EMPTY = {"type": "string", "minLength": 1}
WHEN = {"anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "format": "date-time"},
                  {"type": "null"}]}
DEVICE_IDS = tuple(ID_FORMATS)
DEVICE_ID_SCHEMAS = {name: {"type": "string", "pattern": f"^{rule.pattern}$", "description": text}
                     for name, (rule, text) in ID_FORMATS.items()}
DEVICE = {"type": "object", "description": "at least one id",
          "properties": {**DEVICE_ID_SCHEMAS, **{k: {"type": "string"} for k in (
              "ip", "user_agent", "model", "brand", "os_version", "country", "language")}},
          "anyOf": [{"required": [k]} for k in DEVICE_IDS]}
CLICK_ID = param("click_id", "path")
ERROR_401 = json_response("The key or token is missing or does not match", "Error")
ERROR_409 = json_response("The id was already recorded", "Error")


def _listed(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": ["count", "items"],
            "properties": {"count": {"type": "integer"},
                           "items": {"type": "array", "items": item}}}


SCHEMAS: dict[str, Any] = {
    "Forward": {
        "type": ["object", "null"],
        "description": "Tee mode: each capture is forwarded to url (the path after "
                       "/pb/<channel> and the query appended) with X-Sandbox-Forwarded: 1; a "
                       "request carrying that header is never forwarded again.",
        "required": ["url"],
        "properties": {"url": {"type": "string"},
                       "timeout_ms": {"type": "integer", "minimum": 1, "maximum": 60000}},
    },
    "LiveNetwork": {
        "type": "object", "required": ["name", "campaigns"],
        "description": "A scenario network (scenario.schema.json $defs/network): preset, "
                       "endpoint, postbacks, send_events, signing; campaigns optional, each "
                       "with a redirect URL.",
        "properties": {"name": {"type": "string"},
                       "campaigns": {"type": "array", "items": OBJECT}},
    },
    "LiveNetworkList": {"type": "object", "required": ["networks"], "properties": {
        "networks": {"type": "array", "items": ref("LiveNetwork")}}},
    "LiveCampaign": {
        "type": "object", "required": ["name", "network", "tracking_link", "updated_at"],
        "description": "A scenario campaign ($defs/campaign) with its network and redirect.",
        "properties": {"name": {"type": "string"}, "network": {"type": "string"},
                       "redirect": {"type": "string"},
                       "tracking_link": {"type": "string", "description": "/c/<name>"},
                       "updated_at": {"type": "string"}},
    },
    "LiveCampaignList": {"type": "object", "required": ["campaigns"], "properties": {
        "campaigns": {"type": "array", "items": ref("LiveCampaign")}}},
    "Click": {
        "type": "object", "required": ["click_id", "campaign", "network", "redirect"],
        "properties": {"click_id": {"type": "string"}, "campaign": {"type": "string"},
                       "network": {"type": "string"}, "redirect": NULLABLE_STRING},
    },
    "PlannedPostback": {
        "type": "object", "required": ["postback_id", "network", "kind", "method", "url"],
        "properties": {"postback_id": {"type": "string"}, "network": {"type": "string"},
                       "kind": {"enum": ["install", "event"]}, "method": {"type": "string"},
                       "url": {"type": "string"}},
    },
    "IngestedInstall": {
        "type": "object", "required": ["install_id", "attribution", "postbacks", "note"],
        "properties": {
            "install_id": {"type": "string"},
            "attribution": {"type": "object", "required": ["match_type"], "properties": {
                "match_type": {"enum": ["click_id", "id_matching", "organic"]},
                "click_id": NULLABLE_STRING, "network": NULLABLE_STRING,
                "campaign": NULLABLE_STRING, "note": NULLABLE_STRING}},
            "postbacks": {"type": "array", "items": ref("PlannedPostback"),
                          "description": "sent in the background; see /api/deliveries"},
            "note": NULLABLE_STRING,
        },
    },
    "IngestedEvent": {
        "type": "object", "required": ["event_id", "install_id", "postbacks", "note"],
        "properties": {"event_id": {"type": "string"}, "install_id": NULLABLE_STRING,
                       "postbacks": {"type": "array", "items": ref("PlannedPostback")},
                       "note": NULLABLE_STRING},
    },
    "InstallIn": {
        "type": "object", "required": ["platform", "device"],
        "properties": {
            "platform": {"enum": ["ios", "android"]},
            "device": DEVICE,
            "att_status": {"enum": [0, 1, 2, 3, "not_determined", "restricted", "denied",
                                    "authorized"]},
            "click_id": {"type": "string"},
            "referrer": {"type": "string", "description": "install referrer: click_id=..."},
            "install_time": {**WHEN, "description": "ISO-8601 with a zone, or unix seconds"},
            "install_id": {"type": "string"},
        },
    },
    "EventIn": {
        "type": "object", "required": ["name"],
        "description": "install_id, or a device with one of the install's ids",
        "anyOf": [{"required": ["install_id"]}, {"required": ["device"]}],
        "properties": {"name": {"type": "string", "pattern": f"^{EVENT_NAME.pattern}$"},
                       "install_id": NON_EMPTY, "device": DEVICE,
                       "revenue": {"type": ["number", "string"]},
                       "currency": {"type": "string"}, "params": OBJECT,
                       "event_time": WHEN,
                       "event_id": {"type": "string"}},
    },
    "Timeline": {
        "type": "object", "required": ["click_id", "click", "summary", "entries"],
        "properties": {
            "click_id": {"type": "string"},
            "click": {"type": ["object", "null"]},
            "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
            "entries": {"type": "array", "items": {
                "type": "object", "required": ["at", "kind"],
                "description": "kind names the key holding the details",
                "properties": {"at": {"type": "string"}, "kind": {
                    "enum": ["click", "install", "event", "attempt", "capture"]}}}},
        },
    },
    "Reconciliation": {
        "type": "object",
        "required": ["ok", "channel", "key", "network", "checked", "missing", "unknown",
                     "without_key", "duplicates", "installs_postbacked_more_than_once"],
        "properties": {
            "ok": {"type": "boolean"}, "channel": {"type": "string"},
            "key": {"enum": ["click_id", "transaction_id"]}, "network": NULLABLE_STRING,
            "since": NULLABLE_STRING,
            "checked": {"type": "object", "additionalProperties": {"type": "integer"}},
            "missing": _listed({"type": "object", "description": (
                "an attributed install (and its click) with no accepted postback")}),
            "unknown": _listed({"type": "object", "description": (
                "a click id on postbacks that no click carries")}),
            "without_key": _listed({"type": "integer", "description": "capture id"}),
            "duplicates": _listed({"type": "object", "description": (
                "a click's install postback accepted more than once, or the same event "
                "postback (method, path, query and body) accepted more than once")}),
            "installs_postbacked_more_than_once": _listed({"type": "object", "description": (
                "install_id, deliveries (rows) and accepted (2xx attempts, re-sends included)")}),
        },
    },
}


def _crud(what: str, schema: str, example: str, required: tuple[str, ...] = ()
          ) -> dict[str, Any]:
    return {
        method: {
            "summary": summary, "parameters": [NAME],
            **({"requestBody": {"content": {"application/json": {"schema": {
                **OBJECT, "description": example, "required": list(required),
                "properties": {name: NON_EMPTY for name in required}}}}}}
               if method == "put" else {}),
            "responses": {"200": json_response(f"The {what}", schema), **ERRORS},
        }
        for method, summary in (("get", f"One {what}"),
                                ("put", f"Create or replace a {what} (validated first)"),
                                ("delete", f"Remove a {what}"))
    }


ADJUST_PARAMS = [param("s2s", schema={"const": "1"}, required=True), *(
    param(name, description=text) for name, text in (
    ("app_token", "12 lower-case letters or digits: the app's token (else 400)"),
    ("idfa", "one device id is required: idfa, gps_adid, fire_adid, oaid, web_uuid, adid, "
             "idfv or android_id"),
    ("gps_adid", "Google advertising id"), ("adid", "Adjust device id"),
    ("created_at_unix", "unix seconds"), ("ip_address", "the device's IP"),
    ("environment", "sandbox or production"),
))]
ADJUST_RESPONSES = {
    "200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"status": {"const": "OK"}}}}}},
    "401": ERROR_401, **ERRORS,
}


def _adjust(summary: str, extra: list[dict[str, Any]]) -> dict[str, Any]:
    operation = {"summary": summary, "parameters": [*ADJUST_PARAMS, *extra],
                 "responses": ADJUST_RESPONSES}
    return {"get": operation, "post": {**operation, "requestBody": {"content": {
        "application/x-www-form-urlencoded": {"schema": OBJECT}}}}}


PATHS: dict[str, Any] = {
    "/api/networks": {"get": {
        "summary": "Networks of the live loop (config file or PUT), with their campaigns",
        "responses": {"200": json_response("Networks", "LiveNetworkList"), **ERRORS}}},
    "/api/networks/{name}": _crud("network", "LiveNetwork", (
        'the scenario network shape without its name, e.g. {"preset": "appsflyer", '
        '"endpoint": "http://127.0.0.1:8377/pb/net1"}')),
    "/api/campaigns": {"get": {
        "summary": "Campaigns the click tracker answers for at /c/<name>",
        "responses": {"200": json_response("Campaigns", "LiveCampaignList"), **ERRORS}}},
    "/api/campaigns/{name}": _crud("campaign", "LiveCampaign", (
        'the scenario campaign shape plus network and redirect, e.g. {"network": "net1", '
        '"redirect": "https://apps.apple.com/app/id525463029", "lookback": {"click": "7d"}}'),
        required=("network",)),
    "/api/timeline/{click_id}": {"get": {
        "summary": "Everything that happened to a click, in time order: the click, its "
                   "install, events, delivery attempts and captures carrying the click id",
        "parameters": [CLICK_ID],
        "responses": {"200": json_response("The timeline", "Timeline"), **ERRORS}}},
    "/api/reconcile": {"get": {
        "summary": "Reconcile a channel's postbacks against clicks and installs; 417 when "
                   "anything is missing, unknown or duplicated",
        "parameters": [
            param("channel", schema=NAME_SCHEMA, required=True),
            param("key", schema={"enum": ["click_id", "transaction_id"]},
                  description="the capture key holding the click id (default click_id)"),
            param("network", description="clicks of this network (default: the network "
                                         "named like the channel, else all)"),
            param("since", description="ISO-8601 time with a zone"),
        ],
        "responses": {"200": json_response("Everything reconciles", "Reconciliation"),
                      "417": json_response("Something does not", "Reconciliation"),
                      **ERRORS}}},
    "/c/{campaign}": {"get": {
        "summary": "Click tracker: records a click and redirects (302) to the campaign's "
                   "redirect or the app's store page",
        "parameters": [param("campaign", "path"),
                       param("click_id", description="kept as the click id (else a UUID)"),
                       param("format", schema={"enum": ["json"]},
                             description="answer JSON instead of the redirect"),
                       param("idfa", description="a device id (also gaid, android_id, ...) "
                                                 "for device-id attribution")],
        "responses": {"200": json_response("The click (format=json)", "Click"),
                      "302": {"description": "To the store or landing URL; X-Click-Id names "
                                             "the click"},
                      "409": ERROR_409, **ERRORS}}},
    "/mmp/v1/installs": {"post": {
        "summary": "Canonical S2S install: attributed (click id, else device id within the "
                   "lookback, else organic); postbacks fire in real time",
        "requestBody": {"content": {"application/json": {"schema": ref("InstallIn")}}},
        "responses": {"201": json_response("Recorded", "IngestedInstall"), "409": ERROR_409,
                      **ERRORS}}},
    "/mmp/v1/events": {"post": {
        "summary": "Canonical S2S in-app event of a known install; postbacks fire in real time",
        "requestBody": {"content": {"application/json": {"schema": ref("EventIn")}}},
        "responses": {"201": json_response("Recorded", "IngestedEvent"), "409": ERROR_409,
                      **ERRORS}}},
    "/mmp/appsflyer/inappevent/{app_id}": {"post": {
        "summary": "AppsFlyer-shaped S2S in-app event (authentication header; JSON with "
                   "appsflyer_id, eventName, eventValue, eventCurrency, eventTime). An iOS "
                   "app id without 'id' answers 200 and drops the event, as AppsFlyer does",
        "parameters": [param("app_id", "path", description="id<digits> or a package name"),
                       param("authentication", "header", required=True)],
        "requestBody": {"content": {"application/json": {"schema": OBJECT}}},
        "responses": {"200": {"description": "ok", "content": {"text/plain": {}}},
                      "401": ERROR_401,
                      "413": json_response("Payload over 1 KB", "Error"), **ERRORS}}},
    "/mmp/adjust/event": _adjust(
        "Adjust-shaped S2S event (query or form): s2s=1, app_token, event_token, one device "
        "id; optional revenue+currency, callback_params, Authorization: Bearer",
        [param("event_token", description="6 lower-case letters or digits"),
         param("revenue"), param("currency"),
         param("callback_params", description="a flat JSON object")]),
    "/mmp/adjust/session": _adjust(
        "Adjust-shaped S2S session: a new device becomes an install (attributed), a known "
        "one records a session", []),
}
