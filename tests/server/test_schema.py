"""Property-based: schemathesis generates requests for every operation of the app's
OpenAPI schema (with the staff token); none may end in a server error."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import schemathesis
from conftest import STAFF, MakeClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

pytestmark = pytest.mark.slow


def test_no_operation_answers_with_a_server_error(make_client: MakeClient, seeded_dir: Path) -> None:
    app = make_client(seeded_dir).app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    failures: list[str] = []
    calls: list[int] = []
    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=STAFF)
            calls.append(response.status_code)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                f"{response.text[:200]}")

        try:
            check()
        except Unsatisfiable:  # no invalid input exists for an operation without parameters
            assert mode is schemathesis.GenerationMode.NEGATIVE
    assert not failures, "\n".join(failures[:10])
    assert len(calls) > 10 * len(operations) and any(code < 300 for code in calls)
    assert app.state.services.store.documents(), "the fuzzing deleted or broke the seed"
