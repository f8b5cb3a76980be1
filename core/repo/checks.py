"""Before a record is written: ``pds_check_record`` allows it, refuses it or labels it.

Every create and update (XRPC writes, ``applyWrites``, ``importRepo``, and writes
plugins make through :class:`~exprsn_pds.repo.writer.RepoWriter`) asks the writer's
:data:`RecordCheck` about each record before anything is stored. An implementation of
the hook answers ``None`` (allow), a :class:`RecordRefusal` (or raises an
:class:`~exprsn_pds.errors.XrpcError`) to refuse, or :class:`RecordLabels` to allow the
record with labels, which are stored in the same transaction as the record
(:mod:`exprsn_pds.repo.label_store`). A refusal of any record of a commit or import refuses
all of it: nothing is written.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from exprsn_pds.errors import InvalidRequest
from exprsn_pds.plugin_host import PluginHost
from exprsn_pds.repo.models import LABEL_VALUE_MAX_LENGTH

if TYPE_CHECKING:
    from exprsn_pds.pds import Pds

HOOK_NAME: Final = "pds_check_record"

RecordOrigin = Literal["write", "import"]
"""Why a record is checked: a write (XRPC or a plugin's), or an ``importRepo``."""

RecordCheck = Callable[[str, str, str, dict[str, Any], RecordOrigin], Awaitable[tuple[str, ...]]]
"""``check(did, collection, rkey, record, origin)``: the labels to attach, or raises."""


@dataclass(frozen=True)
class RecordRefusal:
    """A ``pds_check_record`` answer: the record breaks ``rule`` (``reason`` says how)."""

    rule: str
    reason: str

    def error(self, collection: str, rkey: str) -> InvalidRequest:
        """The 400 the writer's caller gets."""
        return InvalidRequest(
            f"Record {collection}/{rkey} refused by rule {self.rule}: {self.reason}"
        )


@dataclass(frozen=True)
class RecordLabels:
    """A ``pds_check_record`` answer: allow the record and attach these label values."""

    values: tuple[str, ...]

    def __post_init__(self) -> None:
        for value in self.values:
            if not isinstance(value, str) or not 0 < len(value) <= LABEL_VALUE_MAX_LENGTH:
                raise ValueError(
                    f"a label value is a string of 1 to {LABEL_VALUE_MAX_LENGTH} characters,"
                    f" not {value!r}"
                )


async def allow_every_record(
    did: str, collection: str, rkey: str, record: dict[str, Any], origin: RecordOrigin
) -> tuple[str, ...]:
    """The :data:`RecordCheck` of a writer without plugins: no refusal, no labels."""
    return ()


class PluginRecordCheck:
    """The :data:`RecordCheck` that asks every ``pds_check_record`` implementation.

    Each plugin's implementation is its own pluggy call, in pluggy's order (wrappers
    around each), and its answer is awaited (if it is an awaitable) before the next is
    asked: the first refusal refuses the record and asks no further; the labels of the
    others are attached (each value once).
    """

    def __init__(self, plugins: PluginHost, pds: Pds) -> None:
        self._plugins = plugins
        self._pds = pds

    async def __call__(
        self, did: str, collection: str, rkey: str, record: dict[str, Any], origin: RecordOrigin
    ) -> tuple[str, ...]:
        """The labels to attach to ``record``; raises the refusal of a refused one."""
        arguments = {
            "pds": self._pds,
            "did": did,
            "collection": collection,
            "rkey": rkey,
            "record": record,
            "origin": origin,
        }
        manager = self._plugins.manager
        order = self._plugins.plugin_order(HOOK_NAME)
        labels: dict[str, None] = {}
        for plugin in order:
            others = [manager.get_plugin(name) for name in order if name != plugin]
            answers = manager.subset_hook_caller(HOOK_NAME, remove_plugins=others)(**arguments)
            for answer in answers:
                verdict = await answer if inspect.isawaitable(answer) else answer
                labels.update(_labels(verdict, collection, rkey))
        return tuple(labels)


def _labels(verdict: object, collection: str, rkey: str) -> dict[str, None]:
    """The label values of one answer; raises a refusal's error."""
    if isinstance(verdict, RecordRefusal):
        raise verdict.error(collection, rkey)
    if isinstance(verdict, RecordLabels):
        return dict.fromkeys(verdict.values)
    if verdict is not None:
        raise TypeError(
            f"pds_check_record answered {verdict!r}: expected None, a RecordRefusal or RecordLabels"
        )
    return {}
