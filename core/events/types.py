"""Event values: what a write sequences, what plugins see, what the hub carries.

Every firehose event is a frozen dataclass: :class:`CommitEvent`, :class:`SyncEvent`,
:class:`IdentityEvent` and :class:`AccountEvent`, each an :class:`Event` (the repo's
``did`` and, once sequenced, its ``seq`` and ``time``). :data:`AnyEvent` is their union,
for code that matches on the kind. :meth:`Event.frame` is the event's
``com.atproto.sync.subscribeRepos`` message, as ``repo_event.frame`` stores it;
:func:`decode_event` turns such a frame back into the value (a commit's record values
come from the CAR blocks the frame carries).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, Self, cast

from exprsn_pds.datamodel import Cid, DataModelError, decode, encode, read_car, write_car
from exprsn_pds.events.frames import MESSAGE_TYPES, event_frame
from exprsn_pds.xrpc.frames import MESSAGE_OP

#: ``seq`` of an event not yet sequenced (sequence numbers start at 1).
UNSEQUENCED: Final = 0
PATH_SEPARATOR: Final = "/"

OpAction = Literal["create", "update", "delete"]
OP_ACTIONS: Final[frozenset[str]] = frozenset({"create", "update", "delete"})


@dataclass(frozen=True)
class EventFrame:
    """A sequenced event as subscribers receive it: its ``seq`` and its WebSocket message."""

    seq: int
    frame: bytes


@dataclass(frozen=True, kw_only=True)
class Event(ABC):
    """An event about the repo or account ``did``.

    ``seq`` and ``time`` (an atproto datetime string) are set when the event is
    sequenced; before that ``seq`` is :data:`UNSEQUENCED` and ``time`` empty.
    """

    type: ClassVar[str]
    did: str
    seq: int = UNSEQUENCED
    time: str = ""

    @abstractmethod
    def body(self) -> dict[str, Any]:
        """The message body without ``seq`` and ``time`` (links as ``Cid``)."""

    def stamped(self, seq: int, time: str) -> Self:
        """This event as sequenced: number ``seq``, at ``time``."""
        return dataclasses.replace(self, seq=seq, time=time)

    def frame(self) -> bytes:
        """The ``subscribeRepos`` message of this (sequenced) event."""
        return event_frame(self.type, {**self.body(), "seq": self.seq, "time": self.time})


@dataclass(frozen=True)
class RepoOp:
    """One record operation of a commit.

    ``cid`` is the record's new CID (``None`` for a delete), ``prev`` the one it
    replaced (``None`` for a create), ``record`` the new value (creates and updates).
    """

    action: OpAction
    collection: str
    rkey: str
    cid: Cid | None
    prev: Cid | None = None
    record: dict[str, Any] | None = None

    @property
    def path(self) -> str:
        """The MST key: ``collection/rkey``."""
        return f"{self.collection}{PATH_SEPARATOR}{self.rkey}"

    def wire(self) -> dict[str, Any]:
        """The op as ``#commit`` carries it."""
        op: dict[str, Any] = {"action": self.action, "path": self.path, "cid": self.cid}
        if self.prev is not None:
            op["prev"] = self.prev
        return op


@dataclass(frozen=True, kw_only=True)
class CommitEvent(Event):
    """``#commit``: the repo moved from ``since`` (and data root ``prev_data``) to ``rev``.

    ``blocks`` is the CAR the event carries: the commit block, new MST nodes and records,
    and the proof nodes relays need to check ``ops``.
    """

    type: ClassVar[str] = "commit"
    rev: str
    commit: Cid
    since: str | None
    ops: tuple[RepoOp, ...]
    blocks: bytes
    prev_data: Cid | None = None

    def body(self) -> dict[str, Any]:
        """The ``#commit`` body without ``seq`` and ``time``."""
        body: dict[str, Any] = {
            "rebase": False,
            "tooBig": False,
            "repo": self.did,
            "commit": self.commit,
            "rev": self.rev,
            "since": self.since,
            "blocks": self.blocks,
            "ops": [op.wire() for op in self.ops],
            "blobs": [],
        }
        if self.prev_data is not None:
            body["prevData"] = self.prev_data
        return body


@dataclass(frozen=True, kw_only=True)
class SyncEvent(Event):
    """``#sync``: the repo's state is now the commit ``commit`` at ``rev`` (replaced wholesale).

    ``blocks`` is a CAR holding just the commit block.
    """

    type: ClassVar[str] = "sync"
    rev: str
    commit: Cid
    blocks: bytes

    @classmethod
    def of_commit(cls, did: str, rev: str, commit: Cid, block: bytes) -> SyncEvent:
        """The ``#sync`` event announcing ``did``'s commit ``commit`` (its ``block``)."""
        return cls(did=did, rev=rev, commit=commit, blocks=write_car([commit], [(commit, block)]))

    def body(self) -> dict[str, Any]:
        """The ``#sync`` body without ``seq`` and ``time``."""
        return {"did": self.did, "rev": self.rev, "blocks": self.blocks}


@dataclass(frozen=True, kw_only=True)
class IdentityEvent(Event):
    """``#identity``: relays should resolve ``did`` (and its ``handle``) again."""

    type: ClassVar[str] = "identity"
    handle: str | None = None

    def body(self) -> dict[str, Any]:
        """The ``#identity`` body without ``seq`` and ``time``."""
        if self.handle is None:
            return {"did": self.did}
        return {"did": self.did, "handle": self.handle}


@dataclass(frozen=True, kw_only=True)
class AccountEvent(Event):
    """``#account``: the account is ``active`` or not, and if not, why (``status``)."""

    type: ClassVar[str] = "account"
    active: bool
    status: str | None = None

    def body(self) -> dict[str, Any]:
        """The ``#account`` body without ``seq`` and ``time``."""
        body: dict[str, Any] = {"did": self.did, "active": self.active}
        if self.status is not None:
            body["status"] = self.status
        return body


AnyEvent = CommitEvent | SyncEvent | IdentityEvent | AccountEvent
"""Every kind of event, for exhaustive matching."""


class InvalidEventFrame(ValueError):
    """A frame that is not a stored event message of a known type."""


def decode_event(frame: bytes) -> AnyEvent:
    """The event a stored frame (``repo_event.frame``: DAG-CBOR header + body) carries."""
    for type_name, header in _HEADERS.items():
        if frame.startswith(header):
            try:
                body = decode(frame[len(header) :])
                return _DECODERS[type_name](body)
            except (DataModelError, KeyError, TypeError, ValueError) as error:
                raise InvalidEventFrame(f"invalid #{type_name} frame: {error}") from error
    raise InvalidEventFrame("not a #commit, #sync, #identity or #account frame")


def _stamp(body: dict[str, Any]) -> dict[str, Any]:
    return {"seq": _int(body["seq"]), "time": _str(body["time"])}


def _commit(body: dict[str, Any]) -> CommitEvent:
    blocks = _bytes(body["blocks"])
    _, contents = read_car(blocks)
    return CommitEvent(
        did=_str(body["repo"]),
        rev=_str(body["rev"]),
        commit=_cid(body["commit"]),
        since=_optional_str(body.get("since")),
        ops=tuple(_op(op, contents) for op in body["ops"]),
        blocks=blocks,
        prev_data=_optional_cid(body.get("prevData")),
        **_stamp(body),
    )


def _op(op: dict[str, Any], blocks: dict[Cid, bytes]) -> RepoOp:
    action = _str(op["action"])
    if action not in OP_ACTIONS:
        raise ValueError(f"unknown op action {action!r}")
    collection, separator, rkey = _str(op["path"]).partition(PATH_SEPARATOR)
    if not separator:
        raise ValueError(f"op path {op['path']!r} is not collection/rkey")
    cid = _optional_cid(op.get("cid"))
    block = blocks.get(cid) if cid is not None else None
    record = decode(block) if block is not None else None
    return RepoOp(
        action=cast(OpAction, action),
        collection=collection,
        rkey=rkey,
        cid=cid,
        prev=_optional_cid(op.get("prev")),
        record=record if isinstance(record, dict) else None,
    )


def _sync(body: dict[str, Any]) -> SyncEvent:
    blocks = _bytes(body["blocks"])
    roots, _ = read_car(blocks)
    if len(roots) != 1:
        raise ValueError(f"a #sync CAR has one root, not {len(roots)}")
    return SyncEvent(
        did=_str(body["did"]), rev=_str(body["rev"]), commit=roots[0], blocks=blocks, **_stamp(body)
    )


def _identity(body: dict[str, Any]) -> IdentityEvent:
    return IdentityEvent(
        did=_str(body["did"]), handle=_optional_str(body.get("handle")), **_stamp(body)
    )


def _account(body: dict[str, Any]) -> AccountEvent:
    active = body["active"]
    if not isinstance(active, bool):
        raise TypeError("active is not a boolean")
    return AccountEvent(
        did=_str(body["did"]),
        active=active,
        status=_optional_str(body.get("status")),
        **_stamp(body),
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _bytes(value: object) -> bytes:
    if not isinstance(value, bytes):
        raise TypeError(f"expected bytes, got {type(value).__name__}")
    return value


def _cid(value: object) -> Cid:
    if not isinstance(value, Cid):
        raise TypeError(f"expected a link, got {type(value).__name__}")
    return value


def _optional_cid(value: object) -> Cid | None:
    return None if value is None else _cid(value)


_HEADERS: Final = {
    type_name: encode({"op": MESSAGE_OP, "t": message_type})
    for type_name, message_type in MESSAGE_TYPES.items()
}
_DECODERS: Final[dict[str, Callable[[dict[str, Any]], AnyEvent]]] = {
    CommitEvent.type: _commit,
    SyncEvent.type: _sync,
    IdentityEvent.type: _identity,
    AccountEvent.type: _account,
}
