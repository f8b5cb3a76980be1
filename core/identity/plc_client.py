"""A client of a did:plc directory (``identity.did_plc_url``, e.g. https://plc.directory).

``POST /<did>`` submits an operation; ``GET /<did>`` is the DID document,
``/<did>/data`` its data, ``/<did>/log/last`` the newest operation and
``/<did>/log/audit`` every operation with its CID and whether it was nullified.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

_NOT_FOUND = (404, 410)


class PlcError(Exception):
    """The directory refused a request (``status`` 4xx/5xx) or could not be reached (0)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @property
    def refused(self) -> bool:
        """Whether the directory answered and refused (a 4xx): the request was at fault."""
        return 400 <= self.status < 500


class PlcClient:
    """Reads and writes a directory over the shared HTTP client."""

    def __init__(self, http: httpx.AsyncClient, url: str, *, timeout_s: float) -> None:
        self.http = http
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s

    def _url(self, did: str, suffix: str = "") -> str:
        return f"{self.url}/{quote(did, safe=':')}{suffix}"

    async def submit(self, did: str, operation: dict[str, Any]) -> None:
        """Send a signed operation for ``did``; :class:`PlcError` if it is not accepted."""
        try:
            response = await self.http.post(self._url(did), json=operation, timeout=self.timeout_s)
        except httpx.HTTPError as error:
            raise PlcError(f"PLC directory unreachable: {type(error).__name__}") from error
        if response.status_code >= 300:
            raise PlcError(_message(response), response.status_code)

    async def get_document(self, did: str) -> dict[str, Any] | None:
        """The DID document, or ``None`` when the DID is unknown or tombstoned."""
        return await self._get_object(self._url(did))

    async def get_last_operation(self, did: str) -> dict[str, Any] | None:
        """The newest valid operation, or ``None`` when the DID is unknown."""
        return await self._get_object(self._url(did, "/log/last"))

    async def _get_object(self, url: str) -> dict[str, Any] | None:
        try:
            body = await self._get(url)
        except PlcError as error:
            if error.status in _NOT_FOUND:
                return None
            raise
        if not isinstance(body, dict):
            raise PlcError("PLC directory sent something other than an object", 502)
        return body

    async def _get(self, url: str) -> Any:
        try:
            response = await self.http.get(url, timeout=self.timeout_s)
        except httpx.HTTPError as error:
            raise PlcError(f"PLC directory unreachable: {type(error).__name__}") from error
        if response.status_code != 200:
            raise PlcError(_message(response), response.status_code)
        try:
            return response.json()
        except ValueError as error:
            raise PlcError("PLC directory sent invalid JSON", 502) from error


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("message") if isinstance(body, dict) else None
    return f"PLC directory answered {response.status_code}: {detail or response.reason_phrase}"
