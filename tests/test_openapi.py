"""``GET /openapi.json``: the API reference built from the served methods' lexicons."""

from __future__ import annotations

from typing import Any

import jsonschema
import schemathesis

from exprsn_pds import XrpcContext, hookimpl
from exprsn_pds.app import get_pds
from exprsn_pds.auth import service_auth
from exprsn_pds.openapi.document import ACCESS, ADMIN, SERVICE

NS = "com.example.reference"
NOTE = {
    "lexicon": 1,
    "id": f"{NS}.note",
    "defs": {
        "main": {
            "type": "procedure",
            "description": "Keep a note. Notes are short.",
            "parameters": {
                "type": "params",
                "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
            },
            "input": {
                "encoding": "application/json",
                "schema": {
                    "type": "object",
                    "required": ["text"],
                    "nullable": ["mood"],
                    "properties": {
                        "text": {"type": "string", "maxLength": 300, "maxGraphemes": 100},
                        "mood": {"type": "string", "knownValues": ["happy", "sad"]},
                        "attachment": {"type": "union", "refs": ["#link"], "closed": True},
                    },
                },
            },
            "output": {"encoding": "application/json", "schema": {"type": "ref", "ref": "#link"}},
            "errors": [{"name": "TooLong"}],
        },
        "link": {
            "type": "object",
            "required": ["uri"],
            "properties": {
                "uri": {"type": "string", "format": "uri"},
                "at": {"type": "string", "format": "datetime"},
            },
        },
    },
}


async def note(ctx: XrpcContext) -> dict[str, Any]:
    return {"uri": "https://example.com"}


class ReferencePlugin:
    """A temporary plugin with a lexicon of its own, behind a service JWT."""

    @hookimpl
    def pds_register_lexicons(self, register: Any) -> None:
        register.add_document(NOTE)

    @hookimpl
    def pds_register_xrpc(self, registry: Any) -> None:
        registry.add(f"{NS}.note", note, auth=service_auth())


async def reference(client: Any) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    document: dict[str, Any] = await response.get_json()
    return document


async def test_every_served_method_is_described_and_nothing_else(client_factory: Any) -> None:
    client = await client_factory()
    document = await reference(client)
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {f"/xrpc/{nsid}" for nsid in get_pds(client.app).methods}
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    schemathesis.openapi.from_dict(document)  # a tool can drive it


async def test_methods_carry_their_parameters_bodies_errors_and_auth(client_factory: Any) -> None:
    document = await reference(await client_factory())
    paths = document["paths"]
    apply_writes = paths["/xrpc/com.atproto.repo.applyWrites"]["post"]
    assert apply_writes["security"] == [{ACCESS: []}]
    assert "InvalidSwap" in apply_writes["x-atproto-errors"]
    assert apply_writes["x-atproto-plugin"] == "repo"
    body = apply_writes["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["repo", "writes"]
    create = body["properties"]["writes"]["items"]["anyOf"][0]
    assert create == {
        "allOf": [{"$ref": "#/components/schemas/com.atproto.repo.applyWrites_create"}],
        "properties": {"$type": {"const": "com.atproto.repo.applyWrites#create"}},
        "required": ["$type"],
    }
    assert "com.atproto.repo.applyWrites_create" in document["components"]["schemas"]
    list_records = paths["/xrpc/com.atproto.repo.listRecords"]["get"]
    limit = next(p for p in list_records["parameters"] if p["name"] == "limit")
    assert (limit["in"], limit["schema"]["maximum"]) == ("query", 100)
    assert paths["/xrpc/com.atproto.admin.getAccountInfo"]["get"]["security"] == [{ADMIN: []}]
    assert paths["/xrpc/com.atproto.server.describeServer"]["get"]["security"] == [{}]
    upload = paths["/xrpc/com.atproto.repo.uploadBlob"]["post"]["requestBody"]["content"]
    assert upload == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
    subscribe = paths["/xrpc/com.atproto.sync.subscribeRepos"]["get"]
    assert subscribe["x-atproto-subscription"] is True and "101" in subscribe["responses"]
    assert document["components"]["responses"]["XrpcError"]["content"]["application/json"][
        "schema"
    ]["required"] == ["error", "message"]


async def test_a_plugins_methods_and_lexicons_are_in_the_reference(client_factory: Any) -> None:
    client = await client_factory(extra_plugins=[("reference", ReferencePlugin())])
    document = await reference(client)
    operation = document["paths"][f"/xrpc/{NS}.note"]["post"]
    assert operation["summary"] == "Keep a note"
    assert operation["security"] == [{SERVICE: []}]
    assert operation["x-atproto-plugin"] == "reference"
    assert operation["parameters"][0]["explode"] is True
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    text = schema["properties"]["text"]
    # 300 bytes allow at most 300 characters; graphemes are only described.
    assert text["maxLength"] == 300 and "at most 100 graphemes" in text["description"]
    assert schema["properties"]["mood"]["anyOf"][1] == {"type": "null"}
    assert schema["properties"]["mood"]["anyOf"][0]["examples"] == ["happy", "sad"]
    output = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert output == {"$ref": f"#/components/schemas/{NS}.note_link"}
    link = document["components"]["schemas"][f"{NS}.note_link"]
    assert link["properties"]["at"]["format"] == "date-time"
    assert "TooLong" in operation["responses"]["400"]["description"]
