"""Every value in the interop syntax vectors is accepted or rejected as its file says.

Files are read as ``../shared/interop/SOURCE.md`` prescribes: split on newlines, drop a
trailing ``\\r``, skip empty lines and lines starting with ``#``, and never strip.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, cast

import pytest

from exprsn_pds.syntax import (
    AtIdentifier,
    AtUri,
    CidString,
    Datetime,
    Did,
    Handle,
    InvalidSyntax,
    Language,
    Nsid,
    RecordKey,
    SyntaxString,
    Tid,
    TidClock,
    Uri,
)

SYNTAX_FOLDER = Path(os.environ["PDS_SHARED_DIR"]) / "interop" / "syntax"
#: Longest piece of a value shown in a test id.
ID_VALUE_CHARS = 40

TYPES: dict[str, type[SyntaxString]] = {
    "atidentifier": AtIdentifier,
    "aturi": AtUri,
    "cid": CidString,
    "datetime": Datetime,
    "did": Did,
    "handle": Handle,
    "language": Language,
    "nsid": Nsid,
    "recordkey": RecordKey,
    "tid": Tid,
    "uri": Uri,
}


def read_vectors(path: Path) -> list[tuple[int, str]]:
    """(line number, value) for every test value in a vector file."""
    vectors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        value = line.removesuffix("\r")
        if value and not value.startswith("#"):
            vectors.append((number, value))
    return vectors


def cases(*suffixes: str) -> list[Any]:
    """One parametrised case per value in every file ending in one of ``suffixes``."""
    params = []
    for path in sorted(SYNTAX_FOLDER.glob("*.txt")):
        kind, _, suffix = path.stem.partition("_")
        if suffix not in suffixes:
            continue
        for number, value in read_vectors(path):
            shown = value if len(value) <= ID_VALUE_CHARS else value[:ID_VALUE_CHARS] + "..."
            params.append(pytest.param(TYPES[kind], value, id=f"{path.stem}:{number}:{shown}"))
    return params


def test_every_vector_file_is_covered() -> None:
    kinds = {path.stem.partition("_")[0] for path in SYNTAX_FOLDER.glob("*.txt")}
    assert kinds == set(TYPES)


@pytest.mark.parametrize(("kind", "value"), cases("syntax_valid"))
def test_valid_value_parses_and_round_trips(kind: type[SyntaxString], value: str) -> None:
    parsed = kind.parse(value)
    assert isinstance(parsed, kind)
    assert str(parsed) == value
    assert kind.is_valid(value)


@pytest.mark.parametrize(("kind", "value"), cases("syntax_invalid", "parse_invalid"))
def test_invalid_value_is_rejected(kind: type[SyntaxString], value: str) -> None:
    with pytest.raises(InvalidSyntax):
        kind.parse(value)
    assert not kind.is_valid(value)


# -- behaviour of the value types beyond the vectors ----------------------------------


def test_parse_names_the_type_and_the_reason() -> None:
    with pytest.raises(InvalidSyntax, match=r"invalid handle 'john': must be two or more"):
        Handle.parse("john")


def test_parse_rejects_a_non_string() -> None:
    with pytest.raises(InvalidSyntax, match="must be a string"):
        Did.parse(cast(Any, 123))


def test_values_are_plain_strings_to_the_outside() -> None:
    did = Did.parse("did:plc:abc")
    assert did == "did:plc:abc"
    assert {did: 1}["did:plc:abc"] == 1
    assert type(str(did)) is str
    assert repr(did) == "Did('did:plc:abc')"


def test_handle_normalized_is_lowercase() -> None:
    assert Handle.parse("Alice.Example.COM").normalized == "alice.example.com"


def test_did_method() -> None:
    assert Did.parse("did:web:example.com").method == "web"


def test_at_identifier_is_a_did_or_a_handle() -> None:
    assert AtIdentifier.parse("did:plc:abc").did == Did("did:plc:abc")
    assert AtIdentifier.parse("did:plc:abc").handle is None
    assert AtIdentifier.parse("alice.test").handle == Handle("alice.test")
    assert AtIdentifier.parse("alice.test").did is None


def test_nsid_authority_is_the_reversed_domain_and_name_keeps_case() -> None:
    nsid = Nsid.parse("com.Atproto.repo.createRecord")
    assert nsid.authority == "repo.atproto.com"
    assert nsid.name == "createRecord"


def test_at_uri_parts() -> None:
    uri = AtUri.parse("at://did:plc:abc/app.bsky.feed.post/3k2aqc7dnvq2a")
    assert (uri.authority, uri.collection, uri.rkey) == (
        "did:plc:abc",
        "app.bsky.feed.post",
        "3k2aqc7dnvq2a",
    )
    assert AtUri.parse("at://alice.test").collection is None


def test_at_uri_from_parts() -> None:
    uri = AtUri.from_parts("did:plc:abc", "app.bsky.feed.post", "3k2aqc7dnvq2a")
    assert uri == "at://did:plc:abc/app.bsky.feed.post/3k2aqc7dnvq2a"
    with pytest.raises(ValueError, match="needs a collection"):
        AtUri.from_parts("did:plc:abc", rkey="x")


def test_tid_round_trips_its_timestamp_and_clock_id() -> None:
    tid = Tid.from_parts(1_700_000_000_000_000, 513)
    assert (tid.timestamp_us, tid.clock_id) == (1_700_000_000_000_000, 513)
    assert Tid.from_parts(0, 0) == "2222222222222"


def test_tids_sort_in_time_order() -> None:
    assert Tid.from_parts(1_000, 1023) < Tid.from_parts(1_001, 0)


def test_tid_clock_never_repeats_when_time_stands_still() -> None:
    clock = TidClock(clock_id=7, now_us=lambda: 1_000)
    first, second = clock.next(), clock.next()
    assert first < second
    assert (second.timestamp_us, second.clock_id) == (1_001, 7)


def test_tid_clock_never_goes_backwards_when_time_does() -> None:
    times = iter([5_000, 4_000, 6_000])
    clock = TidClock(now_us=lambda: next(times))
    tids = [clock.next() for _ in range(3)]
    assert [tid.timestamp_us for tid in tids] == [5_000, 5_001, 6_000]


def test_tid_clock_uses_wall_time_and_a_random_clock_id() -> None:
    clock = TidClock()
    tid = clock.next()
    assert tid.clock_id == clock.clock_id
    assert abs(tid.timestamp_us - Datetime.from_datetime(dt.datetime.now(dt.UTC)).epoch_us) < 10**7


def test_datetime_keeps_the_string_as_written() -> None:
    assert str(Datetime.parse("1985-04-12T23:20:50.120000+01:00")) == (
        "1985-04-12T23:20:50.120000+01:00"
    )


def test_datetime_epoch_us_applies_the_offset() -> None:
    utc = Datetime.parse("1985-04-12T23:20:50.123Z")
    offset = Datetime.parse("1985-04-13T00:20:50.123+01:00")
    assert utc.epoch_us == offset.epoch_us == 482196050123000


def test_datetime_allows_year_zero_in_utc() -> None:
    assert Datetime.parse("0000-01-01T00:00:00.000Z").epoch_us < 0


def test_datetime_from_datetime_uses_utc_milliseconds() -> None:
    moment = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert Datetime.from_datetime(moment) == "2024-05-06T05:08:09.123Z"
    assert Datetime.from_datetime(moment).to_datetime() == moment.replace(microsecond=123000)
