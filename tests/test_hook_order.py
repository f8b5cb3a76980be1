"""Every hook kind runs in pluggy's documented order, and wrapper implementations wrap.

pluggy's order: ``tryfirst`` implementations first, ``trylast`` ones last, the unmarked
ones in between, last-registered first. The test plugins are registered after the built-ins
in the order a, b, c, d: b is ``tryfirst``, c is ``trylast``, so pluggy calls b, d, a, c.
``pds_shutdown`` runs in the reverse of the start order.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from exprsn_pds import hookimpl
from exprsn_pds.pds import Pds
from exprsn_pds.registrars import PluginStartupError

REGISTRATION_ORDER = ["a", "b", "c", "d"]
MARKS: dict[str, dict[str, bool]] = {"b": {"tryfirst": True}, "c": {"trylast": True}}
PLUGGY_ORDER = ["b", "d", "a", "c"]
REGISTRAR_HOOKS = [
    "pds_register_lexicons",
    "pds_register_models",
    "pds_register_xrpc",
    "pds_register_routes",
]

Log = list[tuple[str, ...]]


def _recorder(name: str, log: Log, **marks: bool) -> object:
    """A plugin implementing every ordered hook, each marked with ``marks``."""
    mark = hookimpl(**marks)

    class Recorder:
        @mark
        def pds_config_schema(self) -> None:
            log.append(("pds_config_schema", name, name))

        @mark
        def pds_register_lexicons(self, register: Any) -> None:
            log.append(("pds_register_lexicons", name, register.plugin))

        @mark
        def pds_register_models(self, register: Any) -> None:
            log.append(("pds_register_models", name, register.plugin))

        @mark
        def pds_register_xrpc(self, registry: Any) -> None:
            log.append(("pds_register_xrpc", name, registry.plugin))

        @mark
        def pds_register_routes(self, routes: Any) -> None:
            log.append(("pds_register_routes", name, routes.plugin))

        @mark
        async def pds_startup(self) -> None:
            log.append(("pds_startup", name, "begun"))
            await _yield_to_the_loop()
            log.append(("pds_startup", name, "done"))

        @hookimpl
        def pds_shutdown(self) -> None:
            log.append(("pds_shutdown", name))

    return Recorder()


async def _yield_to_the_loop() -> None:
    """Give other tasks a turn, so an unawaited start-up would show in the log."""
    import asyncio

    await asyncio.sleep(0)


def _recorders(log: Log) -> list[tuple[str, object]]:
    return [(name, _recorder(name, log, **MARKS.get(name, {}))) for name in REGISTRATION_ORDER]


class StopsOnly:
    """Implements ``pds_shutdown`` without ``pds_startup``: counts as started at registration."""

    def __init__(self, log: Log) -> None:
        self.log = log

    @hookimpl
    def pds_shutdown(self) -> None:
        self.log.append(("pds_shutdown", "stops-only"))


class WrapsRegistration:
    """A ``wrapper=True`` implementation of every registrar hook."""

    def __init__(self, log: Log) -> None:
        self.log = log

    def _around(self, hook: str, registrar: Any) -> Generator[None, Any, Any]:
        self.log.append((hook, "before", registrar.plugin))
        results = yield
        self.log.append((hook, "after", registrar.plugin))
        return results

    @hookimpl(wrapper=True)
    def pds_register_lexicons(self, register: Any) -> Generator[None, Any, Any]:
        return (yield from self._around("pds_register_lexicons", register))

    @hookimpl(wrapper=True)
    def pds_register_models(self, register: Any) -> Generator[None, Any, Any]:
        return (yield from self._around("pds_register_models", register))

    @hookimpl(wrapper=True)
    def pds_register_xrpc(self, registry: Any) -> Generator[None, Any, Any]:
        return (yield from self._around("pds_register_xrpc", registry))

    @hookimpl(wrapper=True)
    def pds_register_routes(self, routes: Any) -> Generator[None, Any, Any]:
        return (yield from self._around("pds_register_routes", routes))


class WrapsStartAndStop:
    """A ``wrapper=True`` start-up and shutdown implementation.

    Start-up implementations here are async: pluggy's call returns their awaitables,
    which the wrapper replaces with ones that wrap the awaited work too.
    """

    def __init__(self, log: Log) -> None:
        self.log = log

    @hookimpl(wrapper=True)
    def pds_startup(self) -> Generator[None, Any, Any]:
        self.log.append(("wrap", "before"))
        results = yield
        self.log.append(("wrap", "after"))
        return [self._awaiting(result) for result in results]

    async def _awaiting(self, result: Any) -> None:
        self.log.append(("wrap", "awaiting"))
        await result
        self.log.append(("wrap", "awaited"))

    @hookimpl(wrapper=True)
    def pds_shutdown(self) -> Generator[None, Any, Any]:
        self.log.append(("wrap", "before"))
        results = yield
        self.log.append(("wrap", "after"))
        return results


def _only(log: Log, hook: str, names: list[str]) -> list[tuple[str, ...]]:
    return [entry for entry in log if entry[0] == hook and entry[-1] in names]


@pytest.mark.parametrize("hook", ["pds_config_schema", *REGISTRAR_HOOKS])
def test_registration_hooks_run_in_pluggys_order(settings_factory: Any, hook: str) -> None:
    log: Log = []
    Pds(settings_factory(), _recorders(log))
    assert _only(log, hook, REGISTRATION_ORDER) == [(hook, name, name) for name in PLUGGY_ORDER]


def test_a_registration_wrapper_wraps_each_plugins_call(settings_factory: Any) -> None:
    log: Log = []
    Pds(settings_factory(), [*_recorders(log), ("wraps", WrapsRegistration(log))])
    for hook in REGISTRAR_HOOKS:
        expected = []
        for name in PLUGGY_ORDER:
            expected += [(hook, "before", name), (hook, name, name), (hook, "after", name)]
        assert _only(log, hook, REGISTRATION_ORDER) == expected


async def test_startup_runs_in_pluggys_order_and_shutdown_in_reverse(
    settings_factory: Any,
) -> None:
    log: Log = []
    pds = Pds(settings_factory(), [*_recorders(log), ("stops-only", StopsOnly(log))])
    await pds.start()
    try:
        started = _only(log, "pds_startup", ["begun", "done"])
        assert [(entry[1], entry[2]) for entry in started if entry[1] in REGISTRATION_ORDER] == [
            (name, step) for name in PLUGGY_ORDER for step in ("begun", "done")
        ]
    finally:
        await pds.stop()
    stopped = [entry[1] for entry in log if entry[0] == "pds_shutdown"]
    assert stopped == [*reversed(PLUGGY_ORDER), "stops-only"]


class FailsToStart:
    @hookimpl
    async def pds_startup(self) -> None:
        raise RuntimeError("this plugin cannot start")

    @hookimpl
    def pds_shutdown(self) -> None:
        raise AssertionError("a plugin that never started is not shut down")


async def test_a_failed_start_stops_what_had_started_and_frees_the_database(
    settings_factory: Any,
) -> None:
    log: Log = []
    plugins = [*_recorders(log), ("stops-only", StopsOnly(log)), ("fails", FailsToStart())]
    failing = Pds(settings_factory(), plugins)
    started_before = failing.plugins.plugin_order("pds_startup")
    started_before = started_before[: started_before.index("fails")]
    with pytest.raises(RuntimeError, match="this plugin cannot start"):
        await failing.start()
    stopped = [entry[1] for entry in log if entry[0] == "pds_shutdown"]
    assert stopped == [
        *(name for name in reversed(started_before) if name in REGISTRATION_ORDER),
        "stops-only",
    ]
    working = Pds(settings_factory())  # the database is free again
    await working.start()
    await working.stop()


async def test_a_start_and_stop_wrapper_wraps_each_plugins_call(settings_factory: Any) -> None:
    log: Log = []
    plugins = [("a", _recorder("a", log)), ("wraps", WrapsStartAndStop(log))]
    pds = Pds(settings_factory(), plugins)
    await pds.start()
    await pds.stop()
    around_a = [
        ("wrap", "before"),
        ("wrap", "after"),
        ("wrap", "awaiting"),
        ("pds_startup", "a", "begun"),
        ("pds_startup", "a", "done"),
        ("wrap", "awaited"),
    ]
    assert _sublist(around_a, log), log
    assert _sublist([("wrap", "before"), ("pds_shutdown", "a"), ("wrap", "after")], log), log


def _sublist(part: list[Any], whole: list[Any]) -> bool:
    return any(whole[i : i + len(part)] == part for i in range(len(whole)))


class OrderedShutdown:
    @hookimpl(tryfirst=True)
    def pds_shutdown(self) -> None:
        """Marked: the stop order would silently ignore it."""


def test_order_marks_on_shutdown_are_refused(settings_factory: Any) -> None:
    with pytest.raises(PluginStartupError, match=r"plugin marked: pds_shutdown"):
        Pds(settings_factory(), [("marked", OrderedShutdown())])


def _store_plugin(label: str, **marks: bool) -> object:
    class Provides:
        @hookimpl(**marks)
        def pds_blobstore(self) -> str:
            return f"store {label}"

        @hookimpl(**marks)
        def pds_mailer(self) -> str:
            return f"mailer {label}"

    return Provides()


class WrapsProviders:
    """An old-style ``hookwrapper=True`` implementation of both firstresult hooks."""

    @hookimpl(hookwrapper=True)
    def pds_blobstore(self) -> Generator[None, Any, None]:
        outcome = yield
        outcome.force_result(f"wrapped {outcome.get_result()}")

    @hookimpl(hookwrapper=True)
    def pds_mailer(self) -> Generator[None, Any, None]:
        outcome = yield
        outcome.force_result(f"wrapped {outcome.get_result()}")


@pytest.mark.parametrize(
    ("providers", "winner"),
    [
        ([("a", {}), ("b", {"tryfirst": True}), ("c", {}), ("d", {"trylast": True})], "b"),
        ([("a", {}), ("c", {}), ("d", {"trylast": True})], "c"),
        ([("a", {}), ("d", {"trylast": True})], "a"),
    ],
)
def test_firstresult_hooks_answer_in_pluggys_order(
    settings_factory: Any, providers: list[tuple[str, dict[str, bool]]], winner: str
) -> None:
    plugins = [(label, _store_plugin(label, **marks)) for label, marks in providers]
    pds = Pds(settings_factory(), plugins)
    assert pds.blobs.store == f"store {winner}"
    assert pds.mailer == f"mailer {winner}"


def test_a_firstresult_wrapper_wraps_the_answer(settings_factory: Any) -> None:
    pds = Pds(settings_factory(), [("a", _store_plugin("a")), ("wraps", WrapsProviders())])
    assert pds.blobs.store == "wrapped store a"
    assert pds.mailer == "wrapped mailer a"
