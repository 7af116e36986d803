"""``assert`` and ``wait``: CI steps against a running sandbox."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from sandbox.cli import _options, main
from sandbox.cli._options import token_option
from sandbox.docfile import load_document
from sandbox.query.conditions import parse_conditions, parse_count
from sandbox.query.junit import junit_xml
from sandbox.query.report import report
from sandbox.remote.client import DEFAULT_SERVER, SandboxClient, wait_until_up

server_option = _options.server_option(default=DEFAULT_SERVER, help="The running sandbox.")
ASSERTION_FILE_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "object"},
        {"type": "array", "items": {"type": "object"}, "minItems": 1},
    ]
}


def _documents_from_file(path: str) -> list[dict[str, Any]]:
    loaded = load_document(Path(path), ASSERTION_FILE_SCHEMA)
    if isinstance(loaded, dict) and "expect" in loaded:
        loaded = loaded["expect"]
    return loaded if isinstance(loaded, list) else [loaded]


def _document_from_flags(channel: str | None, where: tuple[str, ...], count: str | None,
                         unique: str | None, since: str | None, since_id: int | None,
                         within: float, during: float) -> dict[str, Any]:
    document: dict[str, Any] = {"where": parse_conditions(where), "within": within,
                                "during": during}
    for key, value in (("channel", channel), ("unique", unique), ("since", since),
                       ("since_id", since_id)):
        if value is not None:
            document[key] = value
    if count is not None:
        document["count"] = parse_count(count)
    return document


@main.command("assert")
@server_option
@token_option
@click.option("--file", "file_", default=None, metavar="FILE",
              help="YAML/JSON file: one assertion, a list, or a mapping with 'expect:'.")
@click.option("--channel", default=None, help="Only postbacks on this channel.")
@click.option("--where", multiple=True, metavar="CONDITION",
              help="A condition such as query.event=af_purchase or 'json.revenue>=0.99'.")
@click.option("--count", default=None, help="How many must match: 2, '>=1', '<=3', '1..3'.")
@click.option("--unique", default=None, metavar="FIELD", help="Matches must not repeat it.")
@click.option("--since", default=None, help="Only postbacks received at or after this time.")
@click.option("--since-id", type=int, default=None, help="Only postbacks after this id.")
@click.option("--within", "--timeout", "within", type=float, default=0, show_default=True,
              help="Wait up to this many seconds for it to hold (--timeout is the same).")
@click.option("--during", type=float, default=0, show_default=True,
              help="Then keep watching this many seconds: it must keep holding.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result.")
@click.option("--junit", default=None, metavar="FILE", help="Write a JUnit XML report.")
def assert_command(server: str, token: str | None, file_: str | None, channel: str | None,
                   where: tuple[str, ...], count: str | None, unique: str | None,
                   since: str | None, since_id: int | None, within: float, during: float,
                   as_json: bool, junit: str | None) -> None:
    """Assert that postbacks arrived: exit 0 when it holds, 1 when it fails, 2 on misuse."""
    if file_ and (channel or where or count or unique):
        raise click.UsageError("give either --file or --channel/--where/--count/--unique")
    documents = (_documents_from_file(file_) if file_ else
                 [_document_from_flags(channel, where, count, unique, since, since_id, within,
                                       during)])
    wait = sum(float(d.get("within", 0)) + float(d.get("during", 0)) for d in documents)
    with SandboxClient(server, token=token) as client:
        body = client.assert_(documents if len(documents) > 1 else documents[0], wait=wait)
    results = body.get("results", [body])
    if junit:
        Path(junit).write_text(junit_xml(results), encoding="utf-8")
    click.echo(json.dumps(body, indent=2, ensure_ascii=False) if as_json else report(results))
    click.echo(f"checked on {client.url}", err=as_json)
    sys.exit(0 if all(r["ok"] for r in results) else 1)


@main.command("wait")
@server_option
@click.option("--timeout", "--within", "timeout", type=float, default=30, show_default=True,
              help="Give up after this many seconds (--within is the same).")
def wait_command(server: str, timeout: float) -> None:
    """Return once the sandbox at --server answers (exit 1 on timeout)."""
    try:
        took = wait_until_up(server, timeout=timeout)
    except TimeoutError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"sandbox is up at {server} ({took:.1f}s)")

