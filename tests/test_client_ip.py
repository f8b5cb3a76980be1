"""The client's IP address: X-Forwarded-For is believed only from trusted proxies."""

from __future__ import annotations

from pathlib import Path

import pytest

from exprsn_pds.config import ConfigError, load_settings
from exprsn_pds.net import parse_networks, resolve_client_ip

PROXIES = parse_networks(["10.0.0.0/8", "127.0.0.1", "fd00::/8"])


def test_without_forwarded_for_the_peer_is_the_client() -> None:
    assert resolve_client_ip("203.0.113.7", [], PROXIES) == "203.0.113.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    assert resolve_client_ip("203.0.113.7", ["198.51.100.1"], PROXIES) == "203.0.113.7"


def test_forwarded_for_from_a_trusted_peer_names_the_client() -> None:
    assert resolve_client_ip("10.1.2.3", ["198.51.100.1"], PROXIES) == "198.51.100.1"


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    hops = ["192.0.2.66", "198.51.100.1", "10.9.9.9"]
    assert resolve_client_ip("127.0.0.1", hops, PROXIES) == "198.51.100.1"


def test_when_every_hop_is_trusted_the_left_most_is_the_client() -> None:
    assert resolve_client_ip("127.0.0.1", ["10.0.0.5", "10.0.0.6"], PROXIES) == "10.0.0.5"


def test_a_hop_that_is_no_address_ends_the_walk() -> None:
    assert resolve_client_ip("10.1.2.3", ["garbage"], PROXIES) == "10.1.2.3"


def test_ipv6_peers_and_ipv4_mapped_addresses_are_normalised() -> None:
    assert resolve_client_ip("fd00::1", ["::ffff:198.51.100.1"], PROXIES) == "198.51.100.1"
    assert resolve_client_ip("2001:DB8::1", [], PROXIES) == "2001:db8::1"


def test_nobody_is_trusted_by_default() -> None:
    assert resolve_client_ip("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_a_peer_that_is_no_address_is_kept_and_unknown_without_one() -> None:
    assert resolve_client_ip("<local>", ["198.51.100.1"], PROXIES) == "<local>"
    assert resolve_client_ip(None, [], PROXIES) == "unknown"


def test_trusted_proxies_come_from_the_environment(tmp_path: Path) -> None:
    environ = {"PDS_DATA_DIRECTORY": str(tmp_path), "PDS_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}
    settings = load_settings(environ=environ)
    assert [str(network) for network in settings.trusted_proxies] == ["10.0.0.0/8", "::1/128"]


def test_a_bad_trusted_proxy_stops_start_up_naming_the_variable(tmp_path: Path) -> None:
    environ = {"PDS_DATA_DIRECTORY": str(tmp_path), "PDS_TRUSTED_PROXIES": "10.0.0.0/8,nope"}
    with pytest.raises(ConfigError, match=r"PDS_TRUSTED_PROXIES \(server.trusted_proxies\).*nope"):
        load_settings(environ=environ)
