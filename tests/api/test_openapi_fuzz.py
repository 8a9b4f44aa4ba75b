"""Schemathesis over the whole OpenAPI document, against the real server and its real database.

Every operation of the server's ``/openapi.json`` gets generated requests, sent as the test
zorgcoördinator (``Authorization: Bearer <token>``): valid requests (as the document describes
them) and invalid ones. No answer may be a 5xx, and every answer must be one the document
declares: its status code, content type, headers and body schema.

Bounded so that it stays well under a minute per database (about 10 s on SQLite and on
PostgreSQL): a fixed number of examples per operation and mode, derandomized (the same
requests every run), no Hypothesis deadline (the server shares the machine with the test).

Schemathesis' own pytest integration (``schemathesis.pytest.from_fixture``) does not work with
pytest 9 (it writes ``Node._nodeid``), so each operation runs as a Hypothesis test of its own
inside a pytest subtest.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.api.conftest import ZORGCOORDINATOR, ControllableClock, RunningApi

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
MODES = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
LONG_LIVED = {"/events/stream"}
"""Left out: a server-sent event stream stays open for its ``wait_s`` (its tests: test_resources_search_alerts.py,
test_access_matrix.py)."""


def _has_inputs(operation: APIOperation[Any, Any, Any, Any]) -> bool:
    """Whether the operation takes any parameter or a body (the bearer token aside)."""
    return bool(list(operation.iter_parameters())) or bool(operation.body)


def test_every_operation_conforms_to_the_openapi_document(
    running_api: RunningApi, clock: ControllableClock, subtests: pytest.Subtests,
) -> None:
    del clock  # requested so that the server's clock stands at DEFAULT_NOW
    schema = schemathesis.openapi.from_url(f"{running_api.base_url}/openapi.json", timeout=10)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    operations = [op for op in operations if op.path not in LONG_LIVED]
    assert len(operations) > 10  # the whole document, not an empty one

    for operation in operations:
        for mode in MODES:
            if mode is GenerationMode.NEGATIVE and not _has_inputs(operation):
                continue  # nothing to make invalid (GET /health, GET /pathways)

            @given(case=operation.as_strategy(mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            def conforms(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(base_url=running_api.base_url, headers=ZORGCOORDINATOR, checks=CHECKS,
                                       timeout=30)

            with subtests.test(msg=f"{operation.label} ({mode.value})"):
                conforms()
