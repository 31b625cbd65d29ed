"""Property-based: schemathesis generates requests for every operation of the app's OpenAPI
schema (with the staff token) and runs every check it has on each answer: no server error,
every status code, content type, header and body as the schema documents them, invalid
data refused, valid data accepted (schemathesis.toml says why an upload of schema-valid
bytes that are no PDF may be 415), auth not ignored, other methods answered 405."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import schemathesis
from conftest import STAFF, MakeClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, is_check_class, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_every_check_passes_on_every_operation(make_client: MakeClient, seeded_dir: Path) -> None:
    app = make_client(seeded_dir).app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app,
                                            config=SchemathesisConfig.from_path(ROOT / "schemathesis.toml"))
    load_all_checks()
    checks = [c for c in CHECKS.get_all() if not is_check_class(c)]
    assert {"not_a_server_error", "response_schema_conformance", "status_code_conformance",
            "negative_data_rejection", "positive_data_acceptance", "ignored_auth"} <= {c.__name__ for c in checks}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    failures: list[str] = []
    calls: list[int] = []
    for operation, mode in itertools.product(operations, schemathesis.GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # A case whose negative part is its Authorization header keeps it: the staff token
            # laid over it would make a request the schema forbids look accepted.
            header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
            negative_header = header is not None and header.mode is schemathesis.GenerationMode.NEGATIVE
            try:
                response = case.call_and_validate(headers=None if negative_header else STAFF, checks=checks)
                calls.append(response.status_code)
            except AssertionError as failure:  # schemathesis reports every failed check in one
                failures.append(f"{case.method} {case.formatted_path}: {str(failure)[:600]}")

        try:
            check()
        except Unsatisfiable:  # no invalid input exists for an operation without parameters
            assert mode is schemathesis.GenerationMode.NEGATIVE
    assert not failures, "\n\n".join(failures[:5])
    assert len(calls) > 10 * len(operations) and any(code < 300 for code in calls)
    assert app.state.services.store.documents(), "the fuzzing deleted or broke the seed"
