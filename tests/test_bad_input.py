"""No 500 on bad input: each cause a hostile client found is a 400 at its root.

Deep nesting, lone surrogates, strings longer than a column (or holding a NUL), URLs built
from input, and malformed requests hypercorn answers itself. The app tests run on SQLite
with the in-process cache and on PostgreSQL with Redis.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest
from helpers import error_of
from tortoise import fields
from tortoise.exceptions import ValidationError
from tortoise.models import Model

from exprsn_pds.datamodel import DataModelError, check_depth, decode, encode, parse_json
from exprsn_pds.identity.did_resolver import did_web_host
from exprsn_pds.service_auth import ServiceJwtError, verify_service_jwt
from exprsn_pds.storage.columns import guard_columns

XRPC = "/xrpc"
SERVER = f"{XRPC}/com.atproto.server"
REPO = f"{XRPC}/com.atproto.repo"
POST = "app.bsky.feed.post"
NOW = "2024-05-01T12:00:00.000Z"
JSON_TYPE = {"Content-Type": "application/json"}
LONE_SURROGATE = '"\\ud800"'  # the JSON escape, as a client sends it
DEEP = 5000
APPLY_CREATE = "com.atproto.repo.applyWrites#create"


def nested(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = [value]
    return value


# --- Nesting depth ----------------------------------------------------------------------------


def test_json_text_nested_past_the_bound_is_refused_before_parsing() -> None:
    with pytest.raises(DataModelError, match="nested more than 128 levels deep"):
        parse_json("[" * 100_000, max_levels=128)
    assert parse_json(json.dumps(nested(128)), max_levels=128) == nested(128)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"text": "[" * 1000, "quote": '\\"[[[', "list": [["a"]]})
    assert parse_json(text, max_levels=3)["text"] == "[" * 1000


def test_json_that_is_not_utf8_or_not_json_is_refused() -> None:
    for data in (b'{"a": "\xff"}', b"NaN", b'{"a": Infinity}', b'{"a":'):
        with pytest.raises(DataModelError):
            parse_json(data, max_levels=8)


def test_whole_numbers_written_as_floats_are_integers() -> None:
    value = parse_json("[2.0, 1e3, -0.0, 2.5, 1e400]", max_levels=2)
    assert value[:3] == [2, 1000, 0] and all(type(n) is int for n in value[:3])
    assert value[3:] == [2.5, float("inf")]


async def test_a_whole_float_where_an_integer_goes_is_that_integer(
    client: Any, admin_headers: Any
) -> None:
    response = await client.post(
        f"{SERVER}.createInviteCodes",
        json={"codeCount": 2.0, "useCount": 1e0},
        headers=admin_headers,
    )
    assert response.status_code == 200, await response.get_data()
    [created] = (await response.get_json())["codes"]
    assert len(created["codes"]) == 2


def test_lone_surrogates_are_refused_and_pairs_accepted() -> None:
    for text in (LONE_SURROGATE, '{"\\udfff": 1}', '["ok", {"a": ["\\ud83d"]}]'):
        with pytest.raises(DataModelError, match="lone UTF-16 surrogate"):
            parse_json(text, max_levels=8)
    assert parse_json('"\\ud83d\\ude00 \\\\ud800"', max_levels=8) == "\U0001f600 \\ud800"


def test_check_depth_counts_lists_and_maps() -> None:
    check_depth({"a": [{"b": []}]}, 4)
    with pytest.raises(DataModelError, match="nested more than 3 levels deep"):
        check_depth({"a": [{"b": []}]}, 3)


def test_dag_cbor_from_clients_is_held_to_the_bound() -> None:
    block = encode({"deep": nested(40)})
    assert decode(block) == {"deep": nested(40)}
    with pytest.raises(DataModelError, match="nested more than 32 levels deep"):
        decode(block, max_levels=32)


@pytest.mark.parametrize(
    "method", ["createSession", "createAccount", "requestPasswordReset", "resetPassword"]
)
async def test_deeply_nested_json_is_400_without_login(client: Any, method: str) -> None:
    response = await client.post(f"{SERVER}.{method}", data=b"[" * DEEP, headers=JSON_TYPE)
    assert await error_of(response) == (
        400,
        "InvalidRequest",
        "Request body is not valid JSON: nested more than 128 levels deep",
    )


async def test_the_nesting_bound_comes_from_the_config(
    client_factory: Any, settings_factory: Any, account_factory: Any
) -> None:
    client = await client_factory(settings_factory(xrpc={"max_nesting_levels": 4}))
    alice = await account_factory(client, "alice.test")

    async def create(extra: Any) -> Any:
        record = {"$type": POST, "text": "hi", "createdAt": NOW, "extra": extra}
        return await client.post(
            f"{REPO}.createRecord",
            json={"repo": alice.did, "collection": POST, "record": record},
            headers=alice.headers,
        )

    # body object, record object, then the extra levels: 2 + 2 fit in 4, 2 + 3 do not.
    assert (await create(nested(2))).status_code == 200
    status, _, message = await error_of(await create(nested(3)))
    assert (status, message) == (
        400,
        "Request body is not valid JSON: nested more than 4 levels deep",
    )


# --- Invalid Unicode ----------------------------------------------------------------------------


def _with_surrogate(body: dict[str, Any], field: str) -> bytes:
    """``body`` as JSON with the string ``field`` replaced by a lone-surrogate escape."""
    return json.dumps(body).replace(f'"{field}"', LONE_SURROGATE, 1).encode()


async def test_a_lone_surrogate_is_400_wherever_it_is(
    client: Any, alice: Any, admin_headers: Any
) -> None:
    record = {"$type": POST, "text": "TEXT", "createdAt": NOW}
    calls = [
        (f"{SERVER}.createSession", {"identifier": "alice.test", "password": "PW"}, "PW", {}),
        (f"{SERVER}.requestPasswordReset", {"email": "MAIL"}, "MAIL", {}),
        (f"{SERVER}.createAppPassword", {"name": "NAME"}, "NAME", alice.headers),
        (f"{SERVER}.deleteAccount", {"did": alice.did, "password": "PW", "token": "T"}, "PW", {}),
        (
            f"{REPO}.createRecord",
            {"repo": alice.did, "collection": POST, "record": record},
            "TEXT",
            alice.headers,
        ),
        (
            f"{REPO}.putRecord",
            {"repo": alice.did, "collection": POST, "rkey": "self", "record": record},
            "TEXT",
            alice.headers,
        ),
        (
            f"{REPO}.applyWrites",
            {
                "repo": alice.did,
                "writes": [{"$type": APPLY_CREATE, "collection": POST, "value": record}],
            },
            "TEXT",
            alice.headers,
        ),
        (
            f"{XRPC}/com.atproto.admin.sendEmail",
            {"recipientDid": alice.did, "senderDid": alice.did, "content": "c", "subject": "S"},
            "S",
            admin_headers,
        ),
    ]
    for path, body, field, headers in calls:
        data = _with_surrogate(body, field)
        response = await client.post(path, data=data, headers={**headers, **JSON_TYPE})
        status, name, message = await error_of(response)
        assert (status, name) == (400, "InvalidRequest"), (path, message)
        assert "lone UTF-16 surrogate" in message, path


@pytest.mark.parametrize("query", ["cursor=%ED%A0%80", "cursor=%FF", "%C3=x"])
async def test_a_query_string_that_is_not_utf8_is_400(client: Any, query: str) -> None:
    response = await client.get(f"{XRPC}/com.atproto.sync.listRepos?{query}")
    status, _, message = await error_of(response)
    assert status == 400 and message.startswith("Query string is not UTF-8"), message


async def test_a_query_string_in_utf8_passes(client: Any) -> None:
    response = await client.get(f"{XRPC}/com.atproto.sync.listRepos?cursor=%C3%A9t%C3%A9")
    assert response.status_code == 200


# --- Lengths: the lexicon, the general parameter bound, the columns ----------------------------


async def test_values_that_do_not_fit_their_column_are_400(
    client: Any, alice: Any, admin_headers: Any
) -> None:
    long_cid = "b" * 129
    queries = [
        (f"{XRPC}/com.atproto.sync.listBlobs?did={alice.did}&cursor={long_cid}", {}),
        (f"{XRPC}/com.atproto.sync.listRepos?cursor={'d' * 2049}", {}),
        (f"{XRPC}/com.atproto.admin.searchAccounts?cursor={'d' * 2049}", admin_headers),
        (f"{REPO}.listMissingBlobs?cursor={long_cid}", alice.headers),
    ]
    for path, headers in queries:
        status, name, message = await error_of(await client.get(path, headers=headers))
        assert (status, name) == (400, "InvalidRequest"), (path, message)
        assert "longer than" in message and "b" * 129 not in message
    procedures = [
        (f"{SERVER}.requestPasswordReset", {"email": "a" * 320 + "@example.com"}, {}),
        (f"{SERVER}.createInviteCode", {"useCount": 2**40}, admin_headers),
        (f"{SERVER}.createAppPassword", {"name": "n" * 65}, alice.headers),
        (f"{XRPC}/com.atproto.admin.disableInviteCodes", {"codes": ["c" * 129]}, admin_headers),
    ]
    for path, body, headers in procedures:
        status, name, message = await error_of(await client.post(path, json=body, headers=headers))
        assert (status, name) == (400, "InvalidRequest"), (path, message)
        assert message.startswith("A value does not fit the stored field"), message


async def test_an_unbounded_parameter_is_held_to_the_configured_bound(
    client_factory: Any, settings_factory: Any
) -> None:
    client = await client_factory(settings_factory(xrpc={"max_param_bytes": 16}))
    listed = await client.get(f"{XRPC}/com.atproto.sync.listRepos?cursor={'x' * 16}")
    assert listed.status_code == 200
    # 17 bytes of UTF-8 in 9 characters: the bound counts bytes.
    response = await client.get(
        f"{XRPC}/com.atproto.sync.listRepos", query_string={"cursor": "é" * 8 + "x"}
    )
    assert await error_of(response) == (
        400,
        "InvalidRequest",
        "Params/cursor must not be longer than 16 bytes (UTF-8)",
    )


@pytest.mark.parametrize("limit", [str(2**64), "1" * 5000, "-" + "9" * 20])
async def test_integer_parameters_beyond_64_bits_are_400(client: Any, limit: str) -> None:
    response = await client.get(f"{XRPC}/com.atproto.sync.listRepos?limit={limit}")
    status, _, message = await error_of(response)
    assert (status, message) == (400, "Params/limit must be an integer of at most 64 bits")


async def test_nul_characters_never_reach_the_database(client: Any, alice: Any) -> None:
    status, _, message = await error_of(
        await client.get(f"{XRPC}/com.atproto.sync.listRepos?cursor=a%00b")
    )
    assert (status, message) == (400, "Params/cursor must not contain NUL characters")
    response = await client.post(
        f"{SERVER}.createAppPassword", json={"name": "a\u0000b"}, headers=alice.headers
    )
    status, _, message = await error_of(response)
    assert (status, message) == (
        400,
        "A value does not fit the stored field name: must not contain NUL characters",
    )


class _Guarded(Model):
    name = fields.CharField(max_length=4)
    notes = fields.TextField()
    count = fields.IntField()

    class Meta:
        app = "guard_test"


def test_the_column_checks_are_added_once_and_name_no_value() -> None:
    guard_columns([_Guarded, _Guarded])
    name, notes, count = (_Guarded._meta.fields_map[key] for key in ("name", "notes", "count"))
    assert (len(name.validators), len(count.validators)) == (2, 1)
    with pytest.raises(ValidationError, match=r"^name: longer than 4 characters$"):
        name.validate("x" * 5)
    with pytest.raises(ValidationError, match="NUL"):
        notes.validate("a\x00")
    with pytest.raises(ValidationError, match="out of the range -2147483648 to 2147483647"):
        count.validate(2**31)
    name.validate("four")
    count.validate(2**31 - 1)


# --- Outgoing URLs built from input -------------------------------------------------------------


@pytest.mark.parametrize(
    "did", ["did:web:localhost%00", "did:web:exa%2Fmple.com", "did:web:a%40b", "did:web:h%3A99999"]
)
def test_a_did_web_that_names_no_host_has_no_url(did: str) -> None:
    assert did_web_host(did) is None


def test_a_did_web_host_may_carry_a_port() -> None:
    assert did_web_host("did:web:localhost%3A2583") == "localhost:2583"


@pytest.mark.parametrize("encoded", ["localhost%2500", "exa%252Fmple.com"])
async def test_resolving_a_did_web_with_an_encoded_nul_is_400(client: Any, encoded: str) -> None:
    response = await client.get(f"{XRPC}/com.atproto.identity.resolveDid?did=did:web:{encoded}")
    assert await error_of(response) == (400, "DidNotFound", "DID not found")


async def test_a_service_jwt_nested_deeply_is_a_bad_jwt() -> None:
    deep = base64.urlsafe_b64encode(b"[" * 10_000).rstrip(b"=").decode()

    async def no_key(did: str, force_refresh: bool) -> None:
        raise AssertionError("a malformed token needs no key")

    with pytest.raises(ServiceJwtError, match="poorly formatted jwt"):
        await verify_service_jwt(f"{deep}.e30.x", audience=None, lxm=None, get_key=no_key)


# --- The shape of every error ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/xrpc", "/..", "/nothing/here", "/xrpc/a/b"])
async def test_unrouted_paths_are_xrpc_shaped_404s(client: Any, path: str) -> None:
    response = await client.get(path)
    status, name, _ = await error_of(response)
    assert (status, name) == (404, "NotFound")


@pytest.mark.parametrize("verb", ["PUT", "PATCH", "DELETE"])
async def test_a_wrong_http_method_names_the_right_one(client: Any, verb: str) -> None:
    response = await client.open(f"{SERVER}.describeServer", method=verb)
    assert await error_of(response) == (
        400,
        "InvalidRequest",
        f"Incorrect HTTP method ({verb}) expected GET",
    )


async def test_empty_writes_are_refused_and_make_no_commit(client: Any, alice: Any) -> None:
    latest = f"{XRPC}/com.atproto.sync.getLatestCommit?did={alice.did}"
    before = await (await client.get(latest)).get_json()
    response = await client.post(
        f"{REPO}.applyWrites", json={"repo": alice.did, "writes": []}, headers=alice.headers
    )
    assert await error_of(response) == (
        400,
        "InvalidRequest",
        "writes must name at least one create, update or delete",
    )
    assert await (await client.get(latest)).get_json() == before


def _raw_exchange(url: str, request: bytes) -> tuple[bytes, bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return head, body


async def test_hypercorns_own_errors_carry_an_xrpc_body(live_server: Any) -> None:
    server = await live_server()
    huge_url = b"GET /xrpc/_health?q=" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    huge_header = b"GET /xrpc/_health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n"
    garbage = b"NOT HTTP AT ALL\r\n\r\n"
    for request, status in ((huge_url, 431), (huge_header, 431), (garbage, 400)):
        head, body = _raw_exchange(server.url, request)
        assert head.startswith(f"HTTP/1.1 {status}".encode()), head
        assert b"content-type: application/json" in head.lower()
        answer = json.loads(body)
        assert set(answer) == {"error", "message"} and answer["error"] == "InvalidRequest"
