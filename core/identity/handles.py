"""Which handles an account may take here: the official PDS's registration rules.

- Any handle: valid syntax (lowercased), and not under a special-use TLD (``.local``,
  ``.arpa``, ``.invalid``, ``.localhost``, ``.internal``, ``.example``, ``.alt``, ``.onion``).
- Under one of the PDS's own domains (``accounts.service_handle_domains``): a single label of
  3 to 18 characters in front of the domain, and not a reserved name.
- Elsewhere (an external handle): refused at account creation (``UnsupportedDomain``);
  ``updateHandle`` accepts it once it resolves to the account's DID (checked by the caller).

Errors are the official ones: ``InvalidHandle`` for bad syntax and length,
``HandleNotAvailable`` for reserved names, ``UnsupportedDomain`` for external handles at
creation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from exprsn_pds.errors import HandleNotAvailable, InvalidHandle, UnsupportedDomain
from exprsn_pds.identity.reserved_handles import RESERVED_LABELS
from exprsn_pds.syntax import Handle

#: Registration-time restriction of the official PDS (``@atproto/syntax`` ``DISALLOWED_TLDS``).
DISALLOWED_TLDS: Final = (
    ".local",
    ".arpa",
    ".invalid",
    ".localhost",
    ".internal",
    ".example",
    ".alt",
    ".onion",
)
#: Length bounds of the label in front of a service domain (official PDS).
SERVICE_LABEL_MIN_CHARS: Final = 3
SERVICE_LABEL_MAX_CHARS: Final = 18


def normalize_handle(handle: str) -> str:
    """``handle`` lowercased; ``InvalidHandle`` if it is not a valid handle."""
    normalized = handle.lower()
    problem = Handle.problem(normalized)
    if problem is not None:
        raise InvalidHandle(f"Invalid handle: {problem}")
    return normalized


def service_domain_suffixes(service_domains: Sequence[str]) -> list[str]:
    """The configured service domains as lowercase ``.domain`` suffixes."""
    return [
        domain.lower() if domain.startswith(".") else f".{domain.lower()}"
        for domain in service_domains
        if domain.strip(".")
    ]


def service_domain_of(handle: str, service_domains: Sequence[str]) -> str | None:
    """The service-domain suffix ``handle`` (normalized) ends with, or ``None``."""
    for suffix in service_domain_suffixes(service_domains):
        if handle.endswith(suffix):
            return suffix
    return None


def normalize_account_handle(
    handle: str, service_domains: Sequence[str], *, allow_external: bool = False
) -> str:
    """The normalized handle an account may take, or an XRPC error saying why not.

    ``allow_external=False`` (account creation) refuses handles outside the service
    domains with ``UnsupportedDomain``; ``updateHandle`` passes ``True`` and then checks
    that the external handle resolves to the account.
    """
    normalized = normalize_handle(handle)
    if normalized.endswith(DISALLOWED_TLDS):
        raise InvalidHandle("Handle TLD is invalid or disallowed")
    suffix = service_domain_of(normalized, service_domains)
    if suffix is None:
        if not allow_external:
            raise UnsupportedDomain()
        return normalized
    label = normalized.removesuffix(suffix)
    if "." in label:
        raise InvalidHandle("Invalid characters in handle")
    if len(label) < SERVICE_LABEL_MIN_CHARS:
        raise InvalidHandle("Handle too short")
    if len(label) > SERVICE_LABEL_MAX_CHARS:
        raise InvalidHandle("Handle too long")
    if label in RESERVED_LABELS:
        raise HandleNotAvailable(label, reserved=True)
    return normalized
