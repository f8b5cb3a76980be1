"""Replays ``tests/fixtures/appview/scenario.json`` against exprsn-pds and normalises the
answers as ``tests/appview_reference/normalise.mjs`` does (README "Normalisation"), so they
compare field by field with the official AppView's (``official.json``).

A plain module (``from appview_replay import ...``): the AppView test modules share it.
Every step goes through the server's own XRPC methods, as the recorder's went through the
official PDS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from conftest import BUILT_IN_PLUGINS

from exprsn_pds.app import get_pds
from exprsn_pds.config import Settings
from exprsn_pds.pds import Pds

FIXTURES: Final = Path(__file__).resolve().parent / "fixtures" / "appview"
SCENARIO_PATH: Final = FIXTURES / "scenario.json"
OFFICIAL_PATH: Final = FIXTURES / "official.json"
LABELERS: Final = ["did:example:labeler"]

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
DID_IN_TEXT = re.compile(r"did:(plc:[a-z2-7]{24}|web:[A-Za-z0-9.%:-]+)")
CID = re.compile(r"^baf[a-z2-7]{50,}$")
AT_URI = re.compile(r"^at://([^/]+)(?:/([^/]+)(?:/([^/]+))?)?$")
IMAGE_URL = re.compile(r"^https?://[^/]+/img/([a-z_]+)/plain/([^/]+)/([a-z2-7]+)(@[a-z]+)?$")
VIDEO_URL = re.compile(r"^https?://[^/]+/vid/([^/]+)/([a-z2-7]+)/(playlist\.m3u8|thumbnail\.jpg)$")
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


def instant_ms(text: str) -> int:
    """Milliseconds since the epoch of an RFC 3339 datetime (as JavaScript's Date.parse)."""
    parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(parsed.timestamp() * 1000)


def iso_ms(ms: int) -> str:
    """JavaScript's ``toISOString`` of ``ms``."""
    moment = dt.datetime.fromtimestamp(ms / 1000, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _literal_times(value: Any, into: list[int]) -> list[int]:
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        into.append(instant_ms(value))
    elif isinstance(value, list):
        for item in value:
            _literal_times(item, into)
    elif isinstance(value, dict):
        for item in value.values():
            _literal_times(item, into)
    return into


class Normaliser:
    """Maps a run's DIDs, record URIs and CIDs to the scenario's names (normalise.mjs)."""

    def __init__(self, scenario_times: set[int]) -> None:
        self.scenario_times = scenario_times
        self.did_names: dict[str, str] = {}
        self.record_names: dict[str, str] = {}
        self.cid_names: dict[str, str] = {}
        self.unknown: dict[tuple[str, str], str] = {}

    def unknown_name(self, kind: str, value: str) -> str:
        """``<kind>:unknown:<n>``, numbered by first sight."""
        key = (kind, value)
        if key not in self.unknown:
            count = sum(1 for k in self.unknown if k[0] == kind)
            self.unknown[key] = f"{kind}:unknown:{count + 1}"
        return self.unknown[key]

    def did(self, did: str) -> str:
        """``did:<name>``."""
        name = self.did_names.get(did)
        return f"did:{name}" if name else self.unknown_name("did", did)

    def dids_in_text(self, text: str) -> str:
        """Every DID inside ``text`` replaced."""
        return DID_IN_TEXT.sub(lambda match: self.did(match.group(0)), text)

    def cid(self, cid: str) -> str:
        """``cid:<name>``."""
        name = self.cid_names.get(cid)
        return f"cid:{name}" if name else self.unknown_name("cid", cid)

    def at_uri(self, uri: str) -> str:
        """``at://did:<name>/<collection>/#<record name>``."""
        match = AT_URI.match(uri)
        assert match is not None
        authority, collection, rkey = match.groups()
        out = "at://" + (self.did(authority) if authority.startswith("did:") else authority)
        if collection is None:
            return out
        out += f"/{collection}"
        if rkey is None:
            return out
        if name := self.record_names.get(uri):
            return f"{out}/#{name}"
        return f"{out}/#{self.unknown_name('rkey', rkey)}" if TID.match(rkey) else f"{out}/{rkey}"

    def string(self, value: str, times: dict[int, int]) -> str:
        """One normalised string."""
        if DATETIME.match(value):
            instant = instant_ms(value)
            return value if instant in self.scenario_times else f"time:{times[instant]}"
        if image := IMAGE_URL.match(value):
            preset, did, cid, fmt = image.groups()
            owner = self.did(did)[len("did:") :]
            blob = self.cid(cid)[len("cid:") :]
            return f"image:{preset}:{owner}:{blob}{fmt or ''}"
        if video := VIDEO_URL.match(value):
            did, cid, file = video.groups()
            owner = self.did(urllib.parse.unquote(did))[len("did:") :]
            blob = self.cid(cid)[len("cid:") :]
            return f"video:{file}:{owner}:{blob}"
        if AT_URI.match(value):
            return self.at_uri(value)
        if CID.match(value):
            return self.cid(value)
        return self.dids_in_text(value)

    def _server_times(self, body: Any) -> dict[int, int]:
        instants: set[int] = set()

        def walk(value: Any) -> None:
            if isinstance(value, str) and DATETIME.match(value):
                instant = instant_ms(value)
                if instant not in self.scenario_times:
                    instants.add(instant)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)

        walk(body)
        return {instant: rank for rank, instant in enumerate(sorted(instants))}

    def body(self, body: Any) -> Any:
        """A normalised copy of a JSON body, object keys sorted."""
        times = self._server_times(body)

        def walk(value: Any, key: str | None = None) -> Any:
            if isinstance(value, str):
                return "cursor:present" if key == "cursor" else self.string(value, times)
            if isinstance(value, list):
                return [walk(item) for item in value]
            if isinstance(value, dict):
                return {k: walk(value[k], k) for k in sorted(value)}
            return value

        return walk(body)

    def headers(self, headers: Any) -> dict[str, str]:
        """The headers that matter, normalised."""
        out: dict[str, str] = {}
        if content_type := headers.get("content-type"):
            out["content-type"] = content_type.split(";")[0].strip()
        if headers.get("atproto-repo-rev") is not None:
            out["atproto-repo-rev"] = "rev:present"
        if (labelers := headers.get("atproto-content-labelers")) is not None:
            out["atproto-content-labelers"] = self.dids_in_text(labelers)
        return out


def scenario_paths(name: str = "") -> tuple[Path, Path]:
    """The scenario file and its official answers: ``scenario.json`` / ``official.json``, or
    for a named scenario ``<name>.scenario.json`` / ``<name>.official.json`` (as
    ``record.mjs --scenario NAME`` reads and writes them)."""
    if not name:
        return SCENARIO_PATH, OFFICIAL_PATH
    return FIXTURES / f"{name}.scenario.json", FIXTURES / f"{name}.official.json"


def load_scenario(name: str = "") -> tuple[dict[str, Any], dict[str, Any]]:
    """The scenario ``name`` and the official answers; the answers must be of this scenario."""
    scenario_path, official_path = scenario_paths(name)
    scenario_bytes = scenario_path.read_bytes()
    official = json.loads(official_path.read_text(encoding="utf-8"))
    assert official["scenarioSha256"] == hashlib.sha256(scenario_bytes).hexdigest(), (
        f"{official_path.name} was recorded from another {scenario_path.name}: re-record it"
    )
    return json.loads(scenario_bytes), official


class Replay:
    """One replay of the scenario on a started app's test ``client``."""

    def __init__(self, scenario: dict[str, Any], client: Any, pds: Pds) -> None:
        self.scenario = scenario
        self.client = client
        self.pds = pds
        self.tokens: dict[str, str] = {}
        self.dids: dict[str, str] = {}
        self.records: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, dict[str, Any]] = {}
        self.start = instant_ms(scenario["clock"]["start"])
        self.step_ms = scenario["clock"]["stepSeconds"] * 1000
        times = {self.start + i * self.step_ms for i in range(len(scenario["steps"]))}
        self.normaliser = Normaliser(times | set(_literal_times(scenario, [])))
        self.results: list[dict[str, Any]] = []
        self.cursors: dict[str, str] = {}

    def now(self, index: int) -> str:
        """``$now`` at step ``index``."""
        return iso_ms(self.start + index * self.step_ms)

    def resolve(self, value: Any, index: int) -> Any:
        """The scenario's symbolic values resolved."""
        if isinstance(value, str):
            if value == "$now":
                return self.now(index)
            if (did := re.match(r"^@([a-z0-9_-]+)$", value)) and did.group(1) in self.dids:
                return self.dids[did.group(1)]
            if (rec := re.match(r"^#([a-z0-9_]+)$", value)) and rec.group(1) in self.records:
                return self.records[rec.group(1)]["uri"]
            return value
        if isinstance(value, list):
            return [self.resolve(item, index) for item in value]
        if isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                record = self.records[value["$ref"]]
                return {"uri": record["uri"], "cid": record["cid"]}
            if isinstance(value.get("$cursorOf"), str):
                # None (the param left out) when that answer had none: a method not served
                return self.cursors.get(value["$cursorOf"])
            if isinstance(value.get("$blob"), str):
                return self.blobs[value["$blob"]]
            return {k: self.resolve(v, index) for k, v in value.items()}
        return value

    def _auth(self, name: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"} if name else {}

    async def create_accounts(self) -> None:
        """The scenario's accounts, created over XRPC; the server's DID is ``did:pds``."""
        for account in self.scenario["accounts"]:
            response = await self.client.post(
                "/xrpc/com.atproto.server.createAccount",
                json={k: account[k] for k in ("handle", "email", "password")},
            )
            assert response.status_code == 200, await response.get_data()
            session = await response.get_json()
            self.tokens[account["name"]] = session["accessJwt"]
            self.dids[account["name"]] = session["did"]
            self.normaliser.did_names[session["did"]] = account["name"]
        self.normaliser.did_names[self.pds.settings.service_did] = "pds"

    def _named(self, name: str, uri: str, cid: str) -> None:
        previous = self.records.get(name)
        version = previous["version"] + 1 if previous else 1
        self.records[name] = {"uri": uri, "cid": cid, "version": version}
        self.normaliser.record_names[uri] = name
        self.normaliser.cid_names[cid] = name if version == 1 else f"{name}@{version}"

    async def run(self) -> None:
        """Every step, in order."""
        await self.create_accounts()
        for index, step in enumerate(self.scenario["steps"]):
            await self._step(step, index)

    async def _step(self, step: dict[str, Any], index: int) -> None:
        op = step["op"]
        actor = step.get("actor")
        repo = self.dids.get(actor) if actor else None
        if op == "uploadBlob":
            data = (FIXTURES / step["file"]).read_bytes()
            response = await self.client.post(
                "/xrpc/com.atproto.repo.uploadBlob",
                data=data,
                headers={**self._auth(actor), "Content-Type": step["mimeType"]},
            )
            assert response.status_code == 200, await response.get_data()
            blob = (await response.get_json())["blob"]
            self.blobs[step["as"]] = blob
            self.normaliser.cid_names[blob["ref"]["$link"]] = step["as"]
        elif op in ("createRecord", "putRecord"):
            body = {
                "repo": repo,
                "collection": step["collection"],
                "record": self.resolve(step["record"], index),
            }
            if "rkey" in step:
                body["rkey"] = step["rkey"]
            response = await self.client.post(
                f"/xrpc/com.atproto.repo.{op}", json=body, headers=self._auth(actor)
            )
            assert response.status_code == 200, (step, await response.get_data())
            written = await response.get_json()
            self._named(step["as"], written["uri"], written["cid"])
        elif op == "deleteRecord":
            uri = self.resolve(step["ref"], index)
            _, collection, rkey = uri[len("at://") :].split("/")
            response = await self.client.post(
                "/xrpc/com.atproto.repo.deleteRecord",
                json={"repo": repo, "collection": collection, "rkey": rkey},
                headers=self._auth(actor),
            )
            assert response.status_code == 200, await response.get_data()
        elif op == "procedure":
            await self._xrpc(step, index, "POST")
        elif op == "query":
            await self._xrpc(step, index, "GET")
        else:
            raise AssertionError(f"unknown op {op}")

    async def _xrpc(self, step: dict[str, Any], index: int, method: str) -> None:
        who = step["viewer"] if "viewer" in step else step.get("actor")
        headers = dict(self._auth(who))
        for key, value in step.get("headers", {}).items():
            headers[key] = re.sub(
                r"@([a-z0-9_-]+)", lambda m: self.dids.get(m.group(1), m.group(0)), value
            )
        path = f"/xrpc/{step['nsid']}"
        if method == "GET":
            query: list[tuple[str, str]] = []
            for key, value in self.resolve(step.get("params", {}), index).items():
                if value is None:
                    continue
                for item in value if isinstance(value, list) else [value]:
                    text = str(item).lower() if isinstance(item, bool) else str(item)
                    query.append((key, text))
            response = await self.client.get(path, query_string=query, headers=headers)
        else:
            response = await self.client.post(
                path, json=self.resolve(step.get("input", {}), index), headers=headers
            )
        text = await response.get_data(as_text=True)
        body = json.loads(text) if text else None
        entry: dict[str, Any] = {
            "id": step.get("id"),
            "step": index,
            "nsid": step["nsid"],
            "status": response.status_code,
            "headers": self.normaliser.headers(response.headers),
            "body": None if body is None else self.normaliser.body(body),
        }
        if isinstance(body, dict) and isinstance(body.get("cursor"), str):
            self.cursors[step["id"]] = body["cursor"]
        self.results.append(entry)


# --- The index's tables, for comparisons -----------------------------------------------------

#: The index's tables that events and rebuilds write, and the columns that say *when* a row
#: was applied rather than what it holds (left out of comparisons).
INDEX_TABLES: Final[dict[str, frozenset[str]]] = {
    "appview_actor": frozenset({"account_seq", "handle_seq", "commit_seq", "rev"}),
    "appview_record": frozenset({"seq"}),
    "appview_profile": frozenset(),
    "appview_post": frozenset(),
    "appview_like": frozenset(),
    "appview_repost": frozenset(),
    "appview_follow": frozenset(),
    "appview_block": frozenset(),
    "appview_list": frozenset(),
    "appview_list_item": frozenset(),
    "appview_list_block": frozenset(),
    "appview_threadgate": frozenset(),
    "appview_postgate": frozenset(),
    "appview_feed_generator": frozenset(),
    "appview_starter_pack": frozenset(),
    "appview_labeler": frozenset(),
    "appview_verification": frozenset(),
    "appview_actor_counts": frozenset(),
    "appview_post_counts": frozenset(),
    "appview_list_counts": frozenset(),
}
COUNTS_TABLES: Final = frozenset(
    {"appview_actor_counts", "appview_post_counts", "appview_list_counts"}
)


async def index_rows(client: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the index's tables, sorted, without the when-applied columns, the
    tombstones of deleted records, or counters that are all zero (the same as no row)."""
    from exprsn_pds.storage.sql import fetch

    dump: dict[str, list[tuple[Any, ...]]] = {}
    for table, skipped in INDEX_TABLES.items():
        rows = await fetch(client, f"SELECT * FROM {table}")
        if not rows:
            dump[table] = []
            continue
        columns = list(rows[0].keys()) if hasattr(rows[0], "keys") else []
        kept = [i for i, name in enumerate(columns) if name not in skipped]
        values = [tuple(row[i] for i in kept) for row in rows]
        if table == "appview_record":
            cid_at = [columns[i] for i in kept].index("cid")
            values = [row for row in values if row[cid_at] is not None]
        if table in COUNTS_TABLES:
            values = [row for row in values if any(value != 0 for value in row[1:])]
        dump[table] = sorted(values, key=repr)
    return dump


async def wipe_index(client: Any) -> None:
    """Empty every table of :data:`INDEX_TABLES`."""
    from exprsn_pds.storage.sql import execute

    for table in INDEX_TABLES:
        await execute(client, f"DELETE FROM {table}")


def appview_settings(settings_factory: Callable[..., Settings], **appview: Any) -> Settings:
    """Test settings with the ``appview`` plugin enabled and ``.test`` handles."""
    return settings_factory(
        plugins={"enabled": [*BUILT_IN_PLUGINS, "appview"], "appview": appview},
        accounts={"service_handle_domains": [".test"]},
    )


def _body_differences(expected: Any, got: Any, path: str) -> list[str]:
    """Where ``got`` differs from ``expected``: ``<path>: ours != official`` per leaf."""
    if isinstance(expected, dict) and isinstance(got, dict):
        found = []
        for key in sorted(expected.keys() | got.keys()):
            if key not in got:
                found.append(f"{path}.{key}: missing != {expected[key]!r:.200}")
            elif key not in expected:
                found.append(f"{path}.{key}: {got[key]!r:.200} != missing")
            else:
                found += _body_differences(expected[key], got[key], f"{path}.{key}")
        return found
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [
            diff
            for index, (want, have) in enumerate(zip(expected, got, strict=True))
            for diff in _body_differences(want, have, f"{path}[{index}]")
        ]
    if expected != got:
        return [f"{path}: {got!r:.300} != {expected!r:.300}"]
    return []


def differences(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """How our normalised answer ``got`` differs from the official ``expected`` one."""
    found = []
    if expected["status"] != got["status"]:
        found.append(f"status {got['status']} != {expected['status']}")
    found += [f"body{path}" for path in _body_differences(expected["body"], got["body"], "")]
    headers = dict(got["headers"])
    wanted = dict(expected["headers"])
    if expected["body"] is None:  # an empty answer's content type is the core's, not ours
        headers.pop("content-type", None)
        wanted.pop("content-type", None)
    if "requestHeaders" not in expected and "atproto-content-labelers" in wanted:
        # without atproto-accept-labelers each server echoes its own configuration
        wanted["atproto-content-labelers"] = ",".join(LABELERS)
    if headers != wanted:
        found.append(f"headers {headers} != {wanted}")
    return found


@dataclass(frozen=True)
class Comparison:
    """One replay compared with the official answers of some methods."""

    replay: Replay
    ours: dict[str, dict[str, Any]]
    """Our normalised answers by scenario step id."""
    compared: list[dict[str, Any]]
    """The official answers compared."""
    differences: dict[str, list[str]]
    """``id → differences`` of the compared answers ours differs from."""


async def compare_with_official(
    client_factory: Callable[..., Any],
    settings_factory: Callable[..., Settings],
    compared: Callable[[str], bool],
    scenario_name: str = "",
) -> Comparison:
    """Replay the scenario ``scenario_name`` on a new app (the ``appview`` plugin,
    :data:`LABELERS`) and compare our answers with the official ones of the methods
    ``compared`` picks by NSID."""
    scenario, official = load_scenario(scenario_name)
    client = await client_factory(appview_settings(settings_factory, labelers=LABELERS))
    replay = Replay(scenario, client, get_pds(client.app))
    await replay.run()
    ours = {result["id"]: result for result in replay.results}
    answers = [r for r in official["results"] if compared(r["nsid"])]
    found = {
        expected["id"]: diff
        for expected in answers
        if (diff := differences(expected, ours[expected["id"]]))
    }
    return Comparison(replay, ours, answers, found)
