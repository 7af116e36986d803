"""How a run renders one network's template for one kind: the compiled URL functions and
the parts of the NDJSON line that are the same for every postback (``Renderer`` in render.py
builds the lines).

Measured: bench_render_paths.py, NDJSON lines from plans 102,904 postbacks/s against 79,345
through ``RenderedPostback.to_json`` (x1.30)."""

from __future__ import annotations

from json.encoder import encode_basestring

from sandbox.compact_json import compact_json
from sandbox.scenarios.generate import URL_READY_MACROS
from sandbox.scenarios.macro_catalogue import MacroContext
from sandbox.scenarios.macros import Compiled
from sandbox.scenarios.postback_template import PostbackTemplate

json_str = encode_basestring  # what compact_json does with a str, minus the call
_str = json_str


def headers_body(headers: tuple[tuple[str, str], ...], body: str | None) -> str:
    """The line from after the URL to ``"scheduled_at":"``."""
    return (f',"headers":{compact_json(dict(headers)) if headers else "{}"},'
            f'"body":{"null" if body is None else _str(body)},"scheduled_at":"')


def _json_plain(url: Compiled) -> bool:
    """Whether every URL this template renders is its own JSON string body: a URL is its
    literals plus ``url_value`` texts, which never hold a character JSON escapes (a quote,
    backslash or control character), so only the literals need checking."""
    literals = "".join(part for part in url.parts if isinstance(part, str))
    return _str(literals) == f'"{literals}"'


class Plan:
    """One network's template for one kind, compiled: the URL functions, and the parts of
    the NDJSON line that are the same for every postback it renders."""

    __slots__ = ("template", "method", "url", "bind", "generated_url", "generated_bind",
                 "headers", "static_json", "heads", "kind", "network_json", "url_plain")

    def __init__(self, template: PostbackTemplate, kind: str, network: str) -> None:
        self.template = template
        self.method = template.method
        drop = template.drop_empty
        self.url = template.url.renderer(drop_empty=drop)
        self.bind = template.url.binder(drop_empty=drop)
        # the same, for generated traffic only: its ids skip the URL encoder
        self.generated_url = template.url.renderer(drop_empty=drop, ready=URL_READY_MACROS)
        self.generated_bind = template.url.binder(drop_empty=drop, ready=URL_READY_MACROS)
        self.url_plain = _json_plain(template.url.whole)
        self.kind = kind
        self.network_json = _str(network)
        static = [(name, value.fixed_text()) for name, value in template.headers]
        self.headers = tuple((n, v) for n, v in static if v is not None)
        dynamic = template.body is not None or len(self.headers) < len(static)
        self.static_json = None if dynamic else headers_body(self.headers, None)
        self.heads: dict[str, str] = {}

    def url_text(self, url: str) -> str:
        """What goes between the quotes of the line's ``"url"`` (callers skip the call when
        ``url_plain``: JSON-encoding a long URL is a good share of a line's cost)."""
        return url if self.url_plain else _str(url)[1:-1]

    def extras(self, ctx: MacroContext) -> tuple[tuple[tuple[str, str], ...] | None, str | None]:
        """Headers (None when static) and body text for ``ctx``."""
        if self.static_json is not None:
            return None, None
        template = self.template
        body = template.body
        text = None if body is None else body.render_text(ctx, drop_empty=template.drop_empty)
        return template.render_headers(ctx), text

    def dynamic_json(self, ctx: MacroContext) -> str:
        """The line from after the URL to ``"scheduled_at":"`` when it is not static."""
        headers, body = self.extras(ctx)
        return headers_body(headers or (), body)

    def head(self, ctx: MacroContext) -> str:
        """The line from ``"kind"`` to ``"url":`` for ``ctx``'s campaign."""
        assert ctx.campaign is not None
        campaign = ctx.campaign.name
        head = self.heads.get(campaign)
        if head is None:
            head = self.heads[campaign] = (
                f'"kind":"{self.kind}","network":{self.network_json},'
                f'"campaign":{_str(campaign)},"method":{_str(self.method)},"url":')
        return head
