"""The XRPC pipeline: method checks, params, input, output, errors, CORS, subscriptions."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import libipld
import pytest
from helpers import error_of
from quart.testing.connections import WebsocketDisconnectError

from exprsn_pds import (
    InvalidRequest,
    SubscriptionMessage,
    XrpcContext,
    XrpcResponse,
    admin_basic_auth,
    hookimpl,
)

NS = "com.example.test"


def _lexicon(name: str, main: dict[str, Any], **defs: Any) -> dict[str, Any]:
    return {"lexicon": 1, "id": f"{NS}.{name}", "defs": {"main": main, **defs}}


LEXICONS = [
    _lexicon(
        "search",
        {
            "type": "query",
            "parameters": {
                "type": "params",
                "required": ["q"],
                "properties": {
                    "q": {"type": "string", "maxLength": 64},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50},
                    "exact": {"type": "boolean"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                },
            },
            "output": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["echo"],
                    "properties": {"echo": {"type": "unknown"}},
                },
            },
        },
    ),
    _lexicon(
        "echo",
        {
            "type": "procedure",
            "input": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "maxGraphemes": 10}},
                },
            },
            "output": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}},
                },
            },
            "errors": [{"name": "Rude"}],
        },
    ),
    _lexicon(
        "badOutput",
        {
            "type": "query",
            "output": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["count"],
                    "properties": {"count": {"type": "integer"}},
                },
            },
        },
    ),
    _lexicon("boom", {"type": "query"}),
    _lexicon("secret", {"type": "query", "output": {"encoding": "application/json"}}),
    _lexicon("upload", {"type": "procedure", "input": {"encoding": "*/*"}}),
    _lexicon(
        "stream",
        {
            "type": "subscription",
            "parameters": {"type": "params", "properties": {"count": {"type": "integer"}}},
            "message": {"schema": {"type": "union", "refs": ["#tick"]}},
            "errors": [{"name": "TooMany"}],
        },
        tick={"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}},
    ),
]
UPLOAD_LIMIT_BYTES = 1000
INTERNAL_DETAIL = "database password is hunter2"


async def search(ctx: XrpcContext) -> dict[str, Any]:
    return {"echo": ctx.params}


async def echo(ctx: XrpcContext) -> dict[str, Any]:
    if ctx.input["text"] == "rude":
        raise InvalidRequest("that was rude", error="Rude")
    return {"text": ctx.input["text"]}


async def bad_output(ctx: XrpcContext) -> dict[str, Any]:
    return {"count": "many"}


async def boom(ctx: XrpcContext) -> None:
    raise RuntimeError(INTERNAL_DETAIL)


async def secret(ctx: XrpcContext) -> dict[str, Any]:
    assert ctx.auth is not None
    return {"kind": ctx.auth.kind}


async def upload(ctx: XrpcContext) -> XrpcResponse:
    size = 0
    async for chunk in ctx.body_chunks():
        size += len(chunk)
    return XrpcResponse(f"{size}".encode(), content_type="text/plain")


async def stream(ctx: XrpcContext) -> AsyncIterator[SubscriptionMessage]:
    count = ctx.params.get("count", 2)
    if count > 3:
        raise InvalidRequest("at most 3", error="TooMany")
    for n in range(count):
        yield SubscriptionMessage("#tick", {"n": n})


class ExamplePlugin:
    """A temporary plugin serving the com.example.test namespace."""

    @hookimpl
    def pds_register_lexicons(self, register: Any) -> None:
        for document in LEXICONS:
            register.add_document(document)

    @hookimpl
    def pds_register_xrpc(self, registry: Any) -> None:
        registry.add(f"{NS}.search", search)
        registry.add(f"{NS}.echo", echo)
        registry.add(f"{NS}.badOutput", bad_output)
        registry.add(f"{NS}.boom", boom)
        registry.add(f"{NS}.secret", secret, auth=admin_basic_auth)
        registry.add(f"{NS}.upload", upload, max_body_bytes=UPLOAD_LIMIT_BYTES)
        registry.add(f"{NS}.stream", stream)


class FallbackPlugin:
    """Answers app.example.* calls nobody serves."""

    @hookimpl
    def pds_xrpc_fallback(self, nsid: str) -> Any:
        if nsid.startswith("app.example."):
            return {"proxied": nsid}
        return None


@pytest.fixture
async def client(client_factory: Any) -> Any:
    return await client_factory(extra_plugins=[("example", ExamplePlugin())])


async def test_unknown_method_is_501(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.nothing")
    assert await error_of(response) == (
        501,
        "MethodNotImplemented",
        "Method not implemented: com.example.test.nothing",
    )


async def test_query_params_are_coerced_from_the_lexicon(client: Any) -> None:
    response = await client.get(
        "/xrpc/com.example.test.search?q=hi&limit=7&exact=true&tags=a&tags=b"
    )
    assert response.status_code == 200
    assert (await response.get_json())["echo"] == {
        "q": "hi",
        "limit": 7,
        "exact": True,
        "tags": ["a", "b"],
    }


async def test_param_defaults_are_applied(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.search?q=hi")
    assert (await response.get_json())["echo"]["limit"] == 50


@pytest.mark.parametrize(
    "query", ["limit=abc&q=x", "limit=1000&q=x", "exact=perhaps&q=x", "limit=5", "q=" + "x" * 65]
)
async def test_a_bad_param_is_400_never_500(client: Any, query: str) -> None:
    response = await client.get(f"/xrpc/com.example.test.search?{query}")
    status, error, _ = await error_of(response)
    assert (status, error) == (400, "InvalidRequest")


async def test_a_query_called_with_post_is_refused(client: Any) -> None:
    response = await client.post("/xrpc/com.example.test.search?q=x")
    assert await error_of(response) == (
        400,
        "InvalidRequest",
        "Incorrect HTTP method (POST) expected GET",
    )


async def test_a_procedure_called_with_get_is_refused(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.echo")
    assert (await error_of(response))[:2] == (400, "InvalidRequest")


async def test_json_input_is_validated_and_passed_to_the_handler(client: Any) -> None:
    response = await client.post("/xrpc/com.example.test.echo", json={"text": "hello"})
    assert await response.get_json() == {"text": "hello"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (json.dumps({"text": 5}).encode(), "application/json"),
        (json.dumps({}).encode(), "application/json"),
        (json.dumps({"text": "x" * 11}).encode(), "application/json"),
        (json.dumps({"text": "x"}).encode(), "text/plain"),
        (json.dumps({"text": "x"}).encode(), ""),
    ],
)
async def test_bad_input_is_400(client: Any, body: bytes, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post("/xrpc/com.example.test.echo", data=body, headers=headers)
    assert (await error_of(response))[:2] == (400, "InvalidRequest")


async def test_a_lexicon_declared_error_keeps_its_name(client: Any) -> None:
    response = await client.post("/xrpc/com.example.test.echo", json={"text": "rude"})
    assert await error_of(response) == (400, "Rude", "that was rude")


async def test_a_body_over_the_limit_is_413(client: Any) -> None:
    response = await client.post(
        "/xrpc/com.example.test.upload",
        data=b"x" * (UPLOAD_LIMIT_BYTES + 1),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert (await error_of(response))[:2] == (413, "PayloadTooLarge")


async def test_a_streamed_body_within_the_limit_reaches_the_handler(client: Any) -> None:
    response = await client.post(
        "/xrpc/com.example.test.upload",
        data=b"x" * UPLOAD_LIMIT_BYTES,
        headers={"Content-Type": "image/png"},
    )
    assert response.status_code == 200
    assert await response.get_data() == str(UPLOAD_LIMIT_BYTES).encode()


async def test_a_json_body_over_the_server_limit_is_413(
    client_factory: Any, settings_factory: Any
) -> None:
    settings = settings_factory(xrpc={"max_body_bytes": 100})
    small = await client_factory(settings, extra_plugins=[("example", ExamplePlugin())])
    response = await small.post("/xrpc/com.example.test.echo", json={"text": "x" * 200})
    assert (await error_of(response))[:2] == (413, "PayloadTooLarge")


async def test_an_unexpected_exception_is_500_without_internals(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.boom")
    status, error, message = await error_of(response)
    assert (status, error) == (500, "InternalServerError")
    assert "hunter2" not in message and "RuntimeError" not in message


async def test_invalid_output_is_caught_when_output_validation_is_on(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.badOutput")
    assert (await error_of(response))[:2] == (500, "InternalServerError")


async def test_admin_auth_is_required(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.secret")
    assert (await error_of(response))[:2] == (401, "AuthenticationRequired")
    wrong = base64.b64encode(b"admin:wrong-password").decode()
    response = await client.get(
        "/xrpc/com.example.test.secret", headers={"Authorization": f"Basic {wrong}"}
    )
    assert (await error_of(response))[:2] == (401, "AuthenticationRequired")


async def test_admin_auth_accepts_the_admin_password(client: Any, admin_headers: Any) -> None:
    response = await client.get("/xrpc/com.example.test.secret", headers=admin_headers)
    assert await response.get_json() == {"kind": "admin"}


async def test_cors_preflight_allows_other_origins(client: Any) -> None:
    response = await client.options(
        "/xrpc/com.example.test.echo",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code in (200, 204)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "authorization,content-type"


async def test_cors_headers_are_on_errors_too(client: Any) -> None:
    response = await client.get(
        "/xrpc/com.example.nothing", headers={"Origin": "https://a.example"}
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"


async def test_cors_can_be_limited_to_listed_origins(
    client_factory: Any, settings_factory: Any
) -> None:
    settings = settings_factory(xrpc={"cors_origins": ["https://good.example"]})
    limited = await client_factory(settings)
    good = await limited.get("/", headers={"Origin": "https://good.example"})
    bad = await limited.get("/", headers={"Origin": "https://bad.example"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://good.example"
    assert "Access-Control-Allow-Origin" not in bad.headers


async def test_every_response_carries_a_request_id(client: Any) -> None:
    first = await client.get("/xrpc/com.atproto.server.describeServer")
    second = await client.get("/xrpc/com.atproto.server.describeServer")
    assert len(first.headers["X-Request-Id"]) == 32
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


async def test_fallback_hook_answers_unserved_methods(client_factory: Any) -> None:
    client = await client_factory(extra_plugins=[("fallback", FallbackPlugin())])
    response = await client.get("/xrpc/app.example.feed.getThing")
    assert await response.get_json() == {"proxied": "app.example.feed.getThing"}
    response = await client.get("/xrpc/com.other.getThing")
    assert response.status_code == 501


def _frames(messages: list[bytes]) -> list[list[Any]]:
    return [list(libipld.decode_dag_cbor_multi(message)) for message in messages]


async def _receive_all(client: Any, path: str) -> list[bytes]:
    received: list[bytes] = []
    async with client.websocket(path) as socket:
        try:
            while True:
                received.append(await socket.receive())
        except WebsocketDisconnectError:  # the server closed the socket
            return received


async def test_subscription_sends_header_and_body_frames(client: Any) -> None:
    messages = await _receive_all(client, "/xrpc/com.example.test.stream?count=2")
    assert _frames(messages) == [
        [{"op": 1, "t": "#tick"}, {"n": 0}],
        [{"op": 1, "t": "#tick"}, {"n": 1}],
    ]


async def test_subscription_errors_arrive_as_error_frames(client: Any) -> None:
    messages = await _receive_all(client, "/xrpc/com.example.test.stream?count=9")
    assert _frames(messages) == [[{"op": -1}, {"error": "TooMany", "message": "at most 3"}]]


async def test_unknown_subscription_gets_an_error_frame(client: Any) -> None:
    messages = await _receive_all(client, "/xrpc/com.example.test.nothing")
    assert _frames(messages)[0][1]["error"] == "MethodNotImplemented"


async def test_a_subscription_over_http_is_refused(client: Any) -> None:
    response = await client.get("/xrpc/com.example.test.stream")
    assert (await error_of(response))[:2] == (400, "InvalidRequest")
