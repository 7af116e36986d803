"""One kind of postback for one network, compiled: its method, URL, headers and body
templates together (the parts are ``macros.py`` and ``url_template.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.scenarios.macro_catalogue import MacroContext
from sandbox.scenarios.macros import BodyTemplate, TextTemplate
from sandbox.scenarios.url_template import UrlTemplate

CONTENT_TYPES = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
    "text": "text/plain; charset=utf-8",
}


@dataclass(frozen=True)
class PostbackTemplate:
    """One kind of postback for one network, compiled."""

    method: str
    url: UrlTemplate
    headers: tuple[tuple[str, TextTemplate], ...] = ()
    body: BodyTemplate | None = None
    content_type: str | None = None
    drop_empty: bool = False

    def render_headers(self, ctx: MacroContext) -> tuple[tuple[str, str], ...]:
        headers = tuple((name, value.render(ctx)) for name, value in self.headers)
        if self.body is not None and not any(n.lower() == "content-type" for n, _ in headers):
            content_type = self.content_type or CONTENT_TYPES[self.body.format]
            headers = (("Content-Type", content_type), *headers)
        return headers

