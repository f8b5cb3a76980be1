"""Handles and DIDs over XRPC and the well-known routes, with real DNS and HTTP on 127.0.0.1.

External handles resolve through a small DNS server (dnspython messages on a UDP socket)
and a small HTTP server, both local; the server's resolvers are pointed at them. Every
test runs on SQLite + in-process cache and on PostgreSQL + Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import libipld
import pytest

from exprsn_pds.accounts.models import Account
from exprsn_pds.app import get_pds
from exprsn_pds.crypto import PrivateKey, parse_multikey
from exprsn_pds.errors import InvalidRequest
from exprsn_pds.identity.did_resolver import DidResolver
from exprsn_pds.identity.handle_resolver import HandleResolver
from exprsn_pds.pds import Pds

DOMAINS = [".pds.test"]
RESOLVE_TIMEOUT_S = 2.0
MAX_RESPONSE_BYTES = 4096
RECEIVE_TIMEOUT_S = 10.0
EXTERNAL_DID = "did:plc:externalexternalexterna"


# --- Local DNS and HTTP servers ---------------------------------------------------------------


class LocalDns(asyncio.DatagramProtocol):
    """Answers TXT queries from ``records`` (name -> strings); unknown names are NXDOMAIN."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.queries = 0
        self.port = 0
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.queries += 1
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True)
        values = self.records.get(name)
        if values is None or question.rdtype != dns.rdatatype.TXT:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            texts = [f'"{value}"' for value in values]
            response.answer.append(dns.rrset.from_text_list(question.name, 60, "IN", "TXT", texts))
        assert self.transport is not None
        self.transport.sendto(response.to_wire(), addr)


@dataclass
class LocalHttp:
    """Serves ``pages[(host, path)] = body`` (200), anything else 404; one request a connection."""

    pages: dict[tuple[str, str], bytes] = field(default_factory=dict)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        path = lines[0].split(" ")[1]
        headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
        host = headers.get("Host", headers.get("host", ""))
        body = self.pages.get((host, path))
        status = "200 OK" if body is not None else "404 Not Found"
        body = body if body is not None else b"not found"
        response = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        writer.write(response.encode() + body)
        await writer.drain()
        writer.close()


@dataclass
class Network:
    """The local DNS and HTTP servers the server under test resolves through."""

    dns: LocalDns
    http: LocalHttp


@pytest.fixture
async def network() -> AsyncIterator[Network]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(LocalDns, local_addr=("127.0.0.1", 0))
    http = LocalHttp()
    server = await asyncio.start_server(http.handle, "127.0.0.1", 0)
    http.port = server.sockets[0].getsockname()[1]
    dns_server = protocol
    dns_server.port = transport.get_extra_info("sockname")[1]
    try:
        yield Network(dns=dns_server, http=http)
    finally:
        transport.close()
        server.close()
        await server.wait_closed()


def point_at(pds: Pds, network: Network) -> None:
    """Make ``pds`` resolve handles and did:web DIDs through the local servers."""
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = network.dns.port  # type: ignore[attr-defined]
    base = f"http://127.0.0.1:{network.http.port}"
    pds.identity.handles = HandleResolver(
        pds.http,
        timeout_s=RESOLVE_TIMEOUT_S,
        max_response_bytes=MAX_RESPONSE_BYTES,
        dns_resolver=resolver,
        well_known_url=lambda handle: f"{base}/.well-known/atproto-did",
    )
    pds.identity.dids = DidResolver(
        pds.http,
        plc=None,
        timeout_s=RESOLVE_TIMEOUT_S,
        max_response_bytes=MAX_RESPONSE_BYTES,
        max_nesting_levels=pds.settings.xrpc_max_nesting_levels,
        web_url=lambda host: f"{base}/.well-known/did.json",
    )


@pytest.fixture
async def client(
    client_factory: Callable[..., Awaitable[Any]],
    settings_factory: Callable[..., Any],
    network: Network,
) -> Any:
    settings = settings_factory(
        server={"hostname": "pds.test"}, accounts={"service_handle_domains": DOMAINS}
    )
    test_client = await client_factory(settings)
    point_at(get_pds(test_client.app), network)
    return test_client


@pytest.fixture
def hosted(client: Any, account_factory: Any) -> Callable[[str], Awaitable[Any]]:
    """``await hosted(handle)``: a hosted account on ``client``'s server, with the DID the
    server makes for it (did:web:<handle>)."""

    async def make(handle: str) -> Any:
        return await account_factory(client, handle, server_did=True)

    return make


async def resolve_handle(client: Any, handle: str) -> tuple[int, dict[str, Any]]:
    response = await client.get(
        "/xrpc/com.atproto.identity.resolveHandle", query_string={"handle": handle}
    )
    return response.status_code, await response.get_json()


async def update_handle(client: Any, account: Any, handle: str) -> tuple[int, Any]:
    response = await client.post(
        "/xrpc/com.atproto.identity.updateHandle", json={"handle": handle}, headers=account.headers
    )
    return response.status_code, await response.get_json()


# --- resolveHandle ----------------------------------------------------------------------------


async def test_a_hosted_handle_resolves_from_the_database(client: Any, hosted: Any) -> None:
    alice = await hosted("alice.pds.test")
    assert await resolve_handle(client, "Alice.PDS.test") == (200, {"did": alice.did})


async def test_an_unknown_handle_under_the_service_domain_is_handle_not_found(
    client: Any, network: Network
) -> None:
    status, body = await resolve_handle(client, "nobody.pds.test")
    assert (status, body["error"]) == (400, "HandleNotFound")
    assert network.dns.queries == 0


async def test_an_external_handle_resolves_through_dns(client: Any, network: Network) -> None:
    network.dns.records["_atproto.bob.example.com"] = [f"did={EXTERNAL_DID}"]
    assert await resolve_handle(client, "bob.example.com") == (200, {"did": EXTERNAL_DID})


async def test_an_external_handle_resolves_through_https_when_dns_has_nothing(
    client: Any, network: Network
) -> None:
    network.http.pages[("bob.example.com", "/.well-known/atproto-did")] = (
        f"{EXTERNAL_DID}\n".encode()
    )
    assert await resolve_handle(client, "bob.example.com") == (200, {"did": EXTERNAL_DID})


async def test_two_did_records_are_ambiguous_and_resolve_to_nothing(
    client: Any, network: Network
) -> None:
    network.dns.records["_atproto.bob.example.com"] = [
        f"did={EXTERNAL_DID}",
        "did=did:plc:otherotherotherotherothe",
    ]
    status, body = await resolve_handle(client, "bob.example.com")
    assert (status, body["error"]) == (400, "InvalidRequest")


async def test_an_oversized_well_known_answer_is_ignored(client: Any, network: Network) -> None:
    network.http.pages[("bob.example.com", "/.well-known/atproto-did")] = (
        EXTERNAL_DID.encode() + b" " * MAX_RESPONSE_BYTES
    )
    status, _ = await resolve_handle(client, "bob.example.com")
    assert status == 400


async def test_an_unresolvable_external_handle_is_an_invalid_request(client: Any) -> None:
    status, body = await resolve_handle(client, "nobody.example.com")
    assert (status, body) == (
        400,
        {"error": "InvalidRequest", "message": "Unable to resolve handle"},
    )


async def test_a_resolved_handle_is_cached(client: Any, network: Network) -> None:
    network.dns.records["_atproto.bob.example.com"] = [f"did={EXTERNAL_DID}"]
    await resolve_handle(client, "bob.example.com")
    queries = network.dns.queries
    network.dns.records["_atproto.bob.example.com"] = ["did=did:plc:changedchangedchangedchan"]
    assert await resolve_handle(client, "bob.example.com") == (200, {"did": EXTERNAL_DID})
    assert network.dns.queries == queries


async def test_a_bad_handle_is_refused_by_the_lexicon(client: Any) -> None:
    status, body = await resolve_handle(client, "not a handle")
    assert (status, body["error"]) == (400, "InvalidRequest")


# --- /.well-known ----------------------------------------------------------------------------


async def test_atproto_did_answers_the_did_of_the_host_handle(client: Any, hosted: Any) -> None:
    alice = await hosted("alice.pds.test")
    response = await client.get("/.well-known/atproto-did", headers={"Host": "alice.pds.test"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    assert await response.get_data(as_text=True) == alice.did


@pytest.mark.parametrize("host", ["nobody.pds.test", "elsewhere.example.com"])
async def test_atproto_did_of_an_unknown_host_is_404(client: Any, host: str, hosted: Any) -> None:
    await hosted("alice.pds.test")
    response = await client.get("/.well-known/atproto-did", headers={"Host": host})
    assert response.status_code == 404


async def test_without_plc_a_new_account_gets_did_web_of_its_handle(
    client: Any, hosted: Any
) -> None:
    alice = await hosted("alice.pds.test")
    assert alice.did == "did:web:alice.pds.test"


async def test_did_json_serves_a_did_web_accounts_document_by_host(
    client: Any, hosted: Any
) -> None:
    alice = await hosted("alice.pds.test")
    response = await client.get("/.well-known/did.json", headers={"Host": "alice.pds.test"})
    assert response.status_code == 200
    document = await response.get_json()
    assert document["id"] == alice.did
    assert document["alsoKnownAs"] == ["at://alice.pds.test"]
    method = document["verificationMethod"][0]
    assert (method["id"], method["type"]) == (f"{alice.did}#atproto", "Multikey")
    assert parse_multikey(method["publicKeyMultibase"]) == alice.key.public_key()
    assert document["service"] == [
        {
            "id": "#atproto_pds",
            "type": "AtprotoPersonalDataServer",
            "serviceEndpoint": "https://pds.test",
        }
    ]


async def test_did_json_of_the_pds_host_is_the_service_document(client: Any) -> None:
    response = await client.get("/.well-known/did.json", headers={"Host": "pds.test"})
    document = await response.get_json()
    assert document["id"] == "did:web:pds.test"
    assert document["service"][0]["serviceEndpoint"] == "https://pds.test"


async def test_did_json_of_an_unknown_host_is_404(client: Any) -> None:
    response = await client.get("/.well-known/did.json", headers={"Host": "nobody.pds.test"})
    assert response.status_code == 404


async def test_did_web_needs_a_handle_under_the_service_domains(client: Any) -> None:
    pds = get_pds(client.app)
    with pytest.raises(InvalidRequest) as raised:
        await pds.identity.create_did(
            "alice.example.com", PrivateKey.generate("k256").public_key(), None
        )
    assert raised.value.error == "UnsupportedDomain"


async def test_a_taken_did_web_is_never_issued_again(client: Any, hosted: Any) -> None:
    await hosted("alice.pds.test")
    did = await get_pds(client.app).identity.create_did(
        "alice.pds.test", PrivateKey.generate("k256").public_key(), None
    )
    assert did != "did:web:alice.pds.test"
    assert did.startswith("did:web:alice-") and did.endswith(".pds.test")


# --- resolveDid / resolveIdentity -----------------------------------------------------------


async def test_a_remote_did_web_document_is_fetched_from_its_host(
    client: Any, network: Network
) -> None:
    document = {"id": "did:web:carol.example.com", "alsoKnownAs": ["at://carol.example.com"]}
    network.http.pages[("carol.example.com", "/.well-known/did.json")] = (
        b'{"id": "did:web:carol.example.com", "alsoKnownAs": ["at://carol.example.com"]}'
    )
    response = await client.get(
        "/xrpc/com.atproto.identity.resolveDid", query_string={"did": "did:web:carol.example.com"}
    )
    assert (response.status_code, await response.get_json()) == (200, {"didDoc": document})


async def test_a_document_for_another_did_is_not_accepted(client: Any, network: Network) -> None:
    network.http.pages[("carol.example.com", "/.well-known/did.json")] = (
        b'{"id": "did:web:mallory.example.com"}'
    )
    response = await client.get(
        "/xrpc/com.atproto.identity.resolveDid", query_string={"did": "did:web:carol.example.com"}
    )
    assert (response.status_code, (await response.get_json())["error"]) == (400, "DidNotFound")


async def test_resolve_identity_verifies_the_handle_both_ways(
    client: Any, network: Network, hosted: Any
) -> None:
    alice = await hosted("alice.pds.test")
    response = await client.get(
        "/xrpc/com.atproto.identity.resolveIdentity", query_string={"identifier": alice.did}
    )
    body = await response.get_json()
    assert (body["did"], body["handle"]) == (alice.did, "alice.pds.test")
    network.http.pages[("carol.example.com", "/.well-known/did.json")] = (
        b'{"id": "did:web:carol.example.com", "alsoKnownAs": ["at://alice.pds.test"]}'
    )
    response = await client.get(
        "/xrpc/com.atproto.identity.resolveIdentity",
        query_string={"identifier": "did:web:carol.example.com"},
    )
    assert (await response.get_json())["handle"] == "handle.invalid"


# --- updateHandle ----------------------------------------------------------------------------


async def identity_events(client: Any, count: int) -> list[dict[str, Any]]:
    """The first ``count`` ``#identity`` events of the firehose, replayed from the start."""
    found: list[dict[str, Any]] = []
    async with (
        client.websocket("/xrpc/com.atproto.sync.subscribeRepos?cursor=0") as socket,
        asyncio.timeout(RECEIVE_TIMEOUT_S),
    ):
        while len(found) < count:
            header, body = libipld.decode_dag_cbor_multi(await socket.receive())
            if header.get("t") == "#identity":
                found.append(body)
    return found


async def test_update_handle_changes_the_handle_and_emits_an_identity_event(
    client: Any, hosted: Any
) -> None:
    alice = await hosted("alice.pds.test")
    assert await update_handle(client, alice, "Alice2.pds.test") == (200, None)
    assert (await Account.get(did=alice.did)).handle == "alice2.pds.test"
    events = await identity_events(client, 1)
    assert (events[0]["did"], events[0]["handle"]) == (alice.did, "alice2.pds.test")
    assert await resolve_handle(client, "alice2.pds.test") == (200, {"did": alice.did})
    status, _ = await resolve_handle(client, "alice.pds.test")
    assert status == 400


async def test_the_did_web_document_follows_the_new_handle(client: Any, hosted: Any) -> None:
    alice = await hosted("alice.pds.test")
    await update_handle(client, alice, "alice2.pds.test")
    response = await client.get("/.well-known/did.json", headers={"Host": "alice.pds.test"})
    assert (await response.get_json())["alsoKnownAs"] == ["at://alice2.pds.test"]


@pytest.mark.parametrize(
    ("handle", "error"),
    [
        ("ab.pds.test", "InvalidHandle"),
        ("admin.pds.test", "HandleNotAvailable"),
        ("bob.pds.test", "HandleNotAvailable"),
        ("alice.localhost", "InvalidHandle"),
    ],
)
async def test_update_handle_refuses_by_the_rules(
    client: Any, handle: str, error: str, hosted: Any
) -> None:
    alice = await hosted("alice.pds.test")
    await hosted("bob.pds.test")
    status, body = await update_handle(client, alice, handle)
    assert (status, body["error"]) == (400, error)
    assert (await Account.get(did=alice.did)).handle == "alice.pds.test"


async def test_an_external_handle_must_resolve_to_the_account(
    client: Any, network: Network, hosted: Any
) -> None:
    alice = await hosted("alice.pds.test")
    network.dns.records["_atproto.alice.example.com"] = [f"did={EXTERNAL_DID}"]
    status, body = await update_handle(client, alice, "alice.example.com")
    assert (status, body["message"]) == (400, "External handle did not resolve to DID")
    network.dns.records["_atproto.alice.example.com"] = [f"did={alice.did}"]
    assert await update_handle(client, alice, "alice.example.com") == (200, None)
    assert (await Account.get(did=alice.did)).handle == "alice.example.com"


async def test_update_handle_needs_a_session(client: Any) -> None:
    response = await client.post(
        "/xrpc/com.atproto.identity.updateHandle", json={"handle": "x.pds.test"}
    )
    assert response.status_code == 401
