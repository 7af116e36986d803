"""Schemathesis against /api/openapi.json on a dedicated server: no 5xx, responses match.

Waits are capped near a second (``--max-wait 1``) and examples are bounded, so the whole run
takes well under a minute. Needs ``schemathesis`` (a test extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

from sandbox.remote.process import RunningServer, start_server  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def schema_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    server = start_server(tmp_path_factory.mktemp("schemathesis") / "s.db",
                          args=["--max-wait", "1", "--workers", "1"])
    yield server
    server.stop()


def test_api_matches_its_schema(schema_server: RunningServer) -> None:
    """Every documented operation, bounded examples each (driven by hand: schemathesis's own
    pytest plugin does not load under this pytest version)."""
    api = schemathesis.openapi.from_url(f"{schema_server.url}/api/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def check(case: Any) -> None:
            case.call_and_validate(
                base_url=schema_server.url, timeout=10,
                checks=[not_a_server_error, response_schema_conformance,
                        content_type_conformance],
            )

        check()
