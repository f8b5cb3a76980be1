"""The OpenAPI 3.1 document of every XRPC method this server serves.

Built from the dispatch table (what is served, by which plugin, behind which verifier)
and the loaded lexicons (parameters, bodies, declared errors), plugins' included. A
query is a ``GET``, a procedure a ``POST``; a subscription is listed as the ``GET`` that
opens its WebSocket. Every error answer is ``{"error", "message"}``
(``#/components/responses/XrpcError``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from exprsn_pds.auth import (
    access_auth,
    account_full_auth,
    account_standard_auth,
    admin_basic_auth,
    full_access_auth,
    optional_auth,
    refresh_auth,
    write_auth,
)
from exprsn_pds.openapi.schemas import JsonSchema, SchemaBuilder
from exprsn_pds.xrpc.types import JSON_ENCODING

if TYPE_CHECKING:
    from exprsn_pds.auth import AuthVerifier
    from exprsn_pds.pds import Pds
    from exprsn_pds.xrpc.types import XrpcMethod

OPENAPI_VERSION: Final = "3.1.0"
XRPC_PATH: Final = "/xrpc/{nsid}"
HTTP_METHODS: Final = {"query": "get", "procedure": "post", "subscription": "get"}
ERROR_RESPONSE: Final = "#/components/responses/XrpcError"

ACCESS: Final = "accessToken"
REFRESH: Final = "refreshToken"
ADMIN: Final = "adminBasic"
SERVICE: Final = "serviceJwt"
SECURITY_SCHEMES: Final[dict[str, JsonSchema]] = {
    ACCESS: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A session's access token (createSession, refreshSession) or an"
        " app password's.",
    },
    REFRESH: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A session's refresh token.",
    },
    ADMIN: {
        "type": "http",
        "scheme": "basic",
        "description": "The operator: user `admin` and the admin password.",
    },
    SERVICE: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An inter-service JWT signed by the caller's DID key, bound to the"
        " method (`lxm`).",
    },
}
# What each built-in verifier accepts; an empty requirement means "no credentials".
_SECURITY: Final[dict[Any, list[dict[str, list[str]]]]] = {
    access_auth: [{ACCESS: []}],
    write_auth: [{ACCESS: []}],
    account_standard_auth: [{ACCESS: []}],
    full_access_auth: [{ACCESS: []}],
    account_full_auth: [{ACCESS: []}],
    refresh_auth: [{REFRESH: []}],
    admin_basic_auth: [{ADMIN: []}],
    optional_auth: [{}, {ACCESS: []}, {ADMIN: []}],
}
# Verifiers made by exprsn_pds.auth.service_auth() are closures of this name.
_SERVICE_VERIFIER: Final = "verify_service"
_ANYTHING: Final[JsonSchema] = {"type": "string", "format": "binary"}
_ERROR_BODY: Final[JsonSchema] = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}


def security_of(verifier: AuthVerifier | None) -> list[dict[str, list[str]]] | None:
    """The OpenAPI security requirements of ``verifier`` (``None``: not known here)."""
    if verifier is None:
        return [{}]
    if verifier in _SECURITY:
        return _SECURITY[verifier]
    if getattr(verifier, "__name__", "") == _SERVICE_VERIFIER:
        return [{SERVICE: []}]
    return None


def _content(body: Mapping[str, Any], builder: SchemaBuilder, nsid: str) -> dict[str, Any]:
    encoding = str(body["encoding"])
    if "schema" in body:
        schema = builder.field(body["schema"], nsid)
    else:
        schema = {"type": "object"} if encoding == JSON_ENCODING else dict(_ANYTHING)
    return {encoding: {"schema": schema}}


def _parameters(definition: Mapping[str, Any], builder: SchemaBuilder, nsid: str) -> list[Any]:
    params = definition.get("parameters")
    if params is None:
        return []
    required = set(params.get("required", ()))
    parameters = []
    for name, field in params["properties"].items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": builder.field(field, nsid),
        }
        if field["type"] == "array":
            parameter.update(style="form", explode=True)
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


def _responses(definition: Mapping[str, Any], builder: SchemaBuilder, nsid: str) -> JsonSchema:
    if definition["type"] == "subscription":
        ok: JsonSchema = {"description": "Switching to a WebSocket of DAG-CBOR frames"}
        status = "101"
    elif "output" in definition:
        output = definition["output"]
        ok = {
            "description": output.get("description", "OK"),
            "content": _content(output, builder, nsid),
        }
        status = "200"
    else:
        ok, status = {"description": "OK (no body)"}, "200"
    errors = [error["name"] for error in definition.get("errors", ())]
    declared = (
        {"400": {"$ref": ERROR_RESPONSE, "description": "InvalidRequest, " + ", ".join(errors)}}
        if errors
        else {}
    )
    return {status: ok, **declared, "default": {"$ref": ERROR_RESPONSE}}


def _operation(method: XrpcMethod, builder: SchemaBuilder, pds: Pds) -> JsonSchema:
    definition = pds.lexicons.get_def(method.nsid)
    description = str(definition.get("description", ""))
    operation: JsonSchema = {
        "operationId": method.nsid,
        "tags": [method.nsid.rpartition(".")[0]],
        "summary": description.split(". ")[0] if description else method.nsid,
        "description": description,
        "parameters": _parameters(definition, builder, method.nsid),
        "responses": _responses(definition, builder, method.nsid),
        "x-atproto-plugin": method.plugin,
        "x-atproto-errors": [error["name"] for error in definition.get("errors", ())],
    }
    if "input" in definition:
        operation["requestBody"] = {
            "required": True,
            "content": _content(definition["input"], builder, method.nsid),
        }
    security = security_of(method.auth)
    if security is not None:
        operation["security"] = security
    else:
        operation["description"] += "\n\nAuthentication: checked by the plugin's own verifier."
    if method.kind == "subscription":
        operation["x-atproto-subscription"] = True
    return operation


def openapi_document(pds: Pds) -> JsonSchema:
    """The OpenAPI 3.1 description of every method in ``pds``'s dispatch table."""
    builder = SchemaBuilder(pds.lexicons)
    paths = {
        XRPC_PATH.format(nsid=nsid): {
            HTTP_METHODS[method.kind]: _operation(method, builder, pds),
        }
        for nsid, method in sorted(pds.methods.items())
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "exprsn-pds XRPC API",
            "version": pds.version,
            "description": "Every XRPC method this server serves, generated from its lexicons"
            " (docs/api.md).",
        },
        "servers": [{"url": pds.settings.public_url}],
        "paths": paths,
        "components": {
            "schemas": builder.build_components(),
            "securitySchemes": SECURITY_SCHEMES,
            "responses": {
                "XrpcError": {
                    "description": "An XRPC error",
                    "content": {JSON_ENCODING: {"schema": _ERROR_BODY}},
                }
            },
        },
    }
