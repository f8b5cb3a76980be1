"""Which handles an account may take here."""

from __future__ import annotations

import re
from collections.abc import Sequence

from exprsn_pds.errors import InvalidRequest
from exprsn_pds.syntax import Handle

SERVICE_LABEL = re.compile(r"^[a-z0-9][a-z0-9-]{1,16}[a-z0-9]$")


def service_domain_of(handle: str, service_domains: Sequence[str]) -> str | None:
    """The service domain (``.example.com``) ``handle`` is under, if any."""
    return next((domain for domain in service_domains if handle.endswith(domain)), None)


def normalize_account_handle(handle: str, service_domains: Sequence[str]) -> str:
    """``handle`` lower-cased, if it is one an account may have here; 400 otherwise.

    Under a service domain the handle is one label of 3-18 letters, digits or hyphens.
    """
    normalized = handle.strip().lower()
    if not Handle.is_valid(normalized):
        raise InvalidRequest("Invalid handle", error="InvalidHandle")
    domain = service_domain_of(normalized, service_domains)
    if domain is not None:
        label = normalized[: -len(domain)]
        if "." in label:
            raise InvalidRequest("Invalid characters in handle", error="InvalidHandle")
        if not SERVICE_LABEL.match(label):
            raise InvalidRequest(
                "Handle label must be 3-18 letters, digits or hyphens", error="InvalidHandle"
            )
    return normalized
