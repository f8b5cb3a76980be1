"""Which handles an account may take: the official PDS's registration rules."""

from __future__ import annotations

import pytest

from exprsn_pds.errors import InvalidRequest
from exprsn_pds.identity.handles import normalize_account_handle
from exprsn_pds.identity.reserved_handles import RESERVED_LABELS

DOMAINS = [".pds.test"]


def refusal(handle: str, *, allow_external: bool = False) -> tuple[str, str]:
    with pytest.raises(InvalidRequest) as raised:
        normalize_account_handle(handle, DOMAINS, allow_external=allow_external)
    return raised.value.error, raised.value.message


def test_a_service_handle_is_lowercased() -> None:
    assert normalize_account_handle("Alice.PDS.test", DOMAINS) == "alice.pds.test"


def test_a_domain_configured_without_a_leading_dot_works_the_same() -> None:
    assert normalize_account_handle("alice.pds.test", ["pds.test"]) == "alice.pds.test"


@pytest.mark.parametrize("handle", ["alice", "-alice.pds.test", "al ice.pds.test", "a..pds.test"])
def test_bad_syntax_is_invalid_handle(handle: str) -> None:
    assert refusal(handle)[0] == "InvalidHandle"


@pytest.mark.parametrize("handle", ["alice.local", "bob.onion", "carol.example", "x.y.arpa"])
def test_special_use_tlds_are_invalid_handles(handle: str) -> None:
    assert refusal(handle, allow_external=True) == (
        "InvalidHandle",
        "Handle TLD is invalid or disallowed",
    )


def test_a_label_of_two_characters_is_too_short() -> None:
    assert refusal("ab.pds.test") == ("InvalidHandle", "Handle too short")


def test_a_label_of_nineteen_characters_is_too_long() -> None:
    assert refusal(f"{'a' * 19}.pds.test") == ("InvalidHandle", "Handle too long")


def test_labels_of_three_and_eighteen_characters_are_fine() -> None:
    for label in ("abc", "a" * 18):
        assert normalize_account_handle(f"{label}.pds.test", DOMAINS) == f"{label}.pds.test"


def test_two_labels_in_front_of_the_service_domain_are_refused() -> None:
    assert refusal("alice.smith.pds.test") == ("InvalidHandle", "Invalid characters in handle")


@pytest.mark.parametrize("label", ["admin", "support", "xrpc", "bsky", "www"])
def test_reserved_names_are_not_available(label: str) -> None:
    assert label in RESERVED_LABELS
    assert refusal(f"{label}.pds.test") == ("HandleNotAvailable", "Reserved handle")


def test_an_external_handle_is_an_unsupported_domain_at_creation() -> None:
    assert refusal("alice.example.com") == ("UnsupportedDomain", "Not a supported handle domain")


def test_an_external_handle_is_accepted_when_external_handles_are_allowed() -> None:
    assert (
        normalize_account_handle("Alice.Example.com", DOMAINS, allow_external=True)
        == "alice.example.com"
    )


def test_external_handles_skip_the_service_label_rules() -> None:
    assert normalize_account_handle("ab.example.com", DOMAINS, allow_external=True)
