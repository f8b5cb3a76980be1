"""Property-based fuzzing of every served method, driven by ``/openapi.json`` (schemathesis).

A real server (``pds serve``, one account) gets requests generated from its own API
reference: valid-looking ones (positive) and ones that break the schema (negative), each
without credentials and with the credentials the method asks for. It fails on any 5xx
but 501, and on any error whose body is not exactly ``{"error", "message"}``.

The run is bounded: ``PDS_TEST_FUZZ_EXAMPLES`` cases per method, mode and credential set
(default 2), and a budget of ``PDS_TEST_FUZZ_BUDGET_S`` seconds (default 45) after which
no new method is started. Raise both to fuzz harder by hand; the test prints how many
requests it sent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from exprsn_pds.openapi.document import ACCESS, ADMIN, REFRESH

EXAMPLES_ENV = "PDS_TEST_FUZZ_EXAMPLES"
BUDGET_ENV = "PDS_TEST_FUZZ_BUDGET_S"
DEFAULT_EXAMPLES = 2
DEFAULT_BUDGET_S = 45.0
REQUEST_TIMEOUT_S = 30.0
# 501 is the answer for a method or feature this server does not implement.
ALLOWED_SERVER_ERRORS = frozenset({501})
# Identity look-ups of generated handles and DIDs must not wait on the network for long;
# outputs are checked against the lexicons too (a wrong one is a 500).
SERVER_ENV = {
    "PDS_RATE_LIMITS_ENABLED": "false",
    "PDS_IDENTITY_RESOLVE_TIMEOUT_S": "1",
    "PDS_XRPC_VALIDATE_OUTPUT": "true",
}
ADMIN_PASSWORD = "test-admin-password"
# Bodies that are bytes (CAR files, blobs of any type) are sent as they are generated.
schemathesis.serializer.alias(["application/vnd.ipld.car", "*/*"], "application/octet-stream")


@dataclass
class Findings:
    """What one fuzzing run sent and what it found wrong."""

    requests: int = 0
    problems: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # not started: the budget was spent


def _problem(response: requests.Response) -> str | None:
    """Why an answer breaks the rules, or ``None``."""
    status = response.status_code
    if status >= 500 and status not in ALLOWED_SERVER_ERRORS:
        return f"{status} {response.text[:200]}"
    if status < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{status} with a body that is not JSON: {response.text[:200]!r}"
    if not (
        isinstance(body, dict)
        and set(body) == {"error", "message"}
        and all(isinstance(value, str) for value in body.values())
    ):
        return f"{status} with a body that is not {{error, message}}: {response.text[:200]}"
    return None


def _credentials(operation: Any, token: str) -> dict[str, str]:
    """The headers of the credentials ``operation``'s security asks for (first match)."""
    schemes = {
        name for requirement in operation.definition.raw.get("security", []) for name in requirement
    }
    if ADMIN in schemes:
        basic = base64.b64encode(f"admin:{ADMIN_PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}
    if schemes & {ACCESS, REFRESH}:
        return {"Authorization": f"Bearer {token}"}
    return {}


def fuzz(base_url: str, token: str, examples: int, budget_s: float) -> Findings:
    """Run the bounded fuzzing session against the server at ``base_url``."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    findings = Findings()
    deadline = time.monotonic() + budget_s
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() > deadline:
            findings.skipped.append(operation.label)
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for headers in ({}, _credentials(operation, token)):
                _fuzz_operation(operation, mode, headers, base_url, session, examples, findings)
    return findings


def _fuzz_operation(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str],
    base_url: str,
    session: requests.Session,
    examples: int,
    findings: Findings,
) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        phases=[Phase.generate],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any) -> None:
        try:
            response = case.call(
                base_url=base_url, session=session, headers=headers, timeout=REQUEST_TIMEOUT_S
            )
        except requests.RequestException as error:
            findings.problems.append(f"{operation.label} ({mode.value}): {error!r}")
            return
        findings.requests += 1
        findings.statuses[response.status_code] = findings.statuses.get(response.status_code, 0) + 1
        problem = _problem(response)
        if problem is not None:
            findings.problems.append(f"{operation.label} ({mode.value}): {problem}")

    # A method without parameters or body has nothing to break: no negative case.
    with contextlib.suppress(Unsatisfiable):
        send()


async def test_fuzzing_every_method_finds_no_server_error(live_server: Any) -> None:
    server = await live_server(["alice.test"], env=SERVER_ENV)
    examples = int(os.environ.get(EXAMPLES_ENV, DEFAULT_EXAMPLES))
    budget_s = float(os.environ.get(BUDGET_ENV, DEFAULT_BUDGET_S))
    token = server.accounts["alice.test"].token
    findings = await asyncio.to_thread(fuzz, server.url, token, examples, budget_s)
    print(
        f"fuzz: {findings.requests} requests, statuses {json.dumps(findings.statuses)},"
        f" {len(findings.skipped)} methods left for want of time"
    )
    assert findings.requests > 0
    assert not findings.problems, "\n".join(findings.problems[:50])


@pytest.mark.parametrize(
    "response",
    [
        (502, b"Bad Gateway", "text/plain"),
        (400, b"<html>oops</html>", "text/html"),
        (400, b'{"error": "X"}', "application/json"),
        (401, b'{"error": "X", "message": "m", "extra": 1}', "application/json"),
    ],
)
def test_the_fuzzer_flags_server_errors_and_malformed_error_bodies(
    response: tuple[int, bytes, str],
) -> None:
    status, body, content_type = response
    answer = requests.Response()
    answer.status_code, answer._content = status, body
    answer.headers["Content-Type"] = content_type
    assert _problem(answer) is not None


def test_the_fuzzer_accepts_xrpc_errors_and_unimplemented_methods() -> None:
    for status in (400, 401, 413, 501):
        answer = requests.Response()
        answer.status_code = status
        answer._content = b'{"error": "InvalidRequest", "message": "no"}'
        assert _problem(answer) is None
