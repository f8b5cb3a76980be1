"""Every hook a plugin can implement, in one typed module.

Each hook is documented in ``docs/plugin_hooks.md`` (a test fails on an undocumented
hook). Hooks take keyword arguments only; a plugin's implementation may accept any
subset of them, so hooks grow by adding arguments, never by reordering them.
Registration hooks run once at start-up; runtime hooks may return awaitables, which
the host awaits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from quart import Request

    from exprsn_pds.blobs import BlobStore
    from exprsn_pds.events import AnyEvent
    from exprsn_pds.feeds import FeedAlgorithm
    from exprsn_pds.mail import Mailer
    from exprsn_pds.pds import Pds
    from exprsn_pds.registrars import (
        CommandRegistrar,
        ConsumerRegistrar,
        LexiconRegistrar,
        ModelRegistrar,
        RouteRegistrar,
        XrpcRegistrar,
    )
    from exprsn_pds.repo.checks import RecordOrigin

PROJECT_NAME = "exprsn_pds"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec(historic=True)
def pds_addhooks(plugin_manager: pluggy.PluginManager) -> None:
    """Add new hookspecs so that plugins can offer hooks to other plugins.

    Called once for every registered plugin, including ones registered later
    (historic). Use ``plugin_manager.add_hookspecs(module_with_specs)``.

    .. versionadded:: 0.1
    """


@hookspec
def pds_config_schema() -> dict[str, Any] | None:
    """Return the JSON Schema of this plugin's ``[plugins.<name>]`` config section.

    Checked at start-up: a section that does not match stops the server with a
    message naming the key. Return ``None`` for a plugin without settings.

    .. versionadded:: 0.1
    """


@hookspec
def pds_register_lexicons(register: LexiconRegistrar) -> None:
    """Add lexicon documents: ``register.add_folder(path)`` or ``register.add_document(doc)``.

    Runs once at start-up, before the registry checks references and compiles its
    validators; duplicate ids and unresolved references stop start-up.

    .. versionadded:: 0.1
    """


@hookspec
def pds_register_models(register: ModelRegistrar) -> None:
    """Declare the tortoise model modules and migrations package this plugin owns.

    ``register.add(label, models=["pkg.models"], migrations="pkg.migrations")``.
    ``pds db migrate`` (and start-up) applies the migrations of every registered app.

    .. versionadded:: 0.1
    """


@hookspec
def pds_register_xrpc(registry: XrpcRegistrar, pds: Pds) -> None:
    """Register XRPC handlers: ``registry.add(nsid, handler, auth=...)``.

    The method must be defined by a loaded lexicon; its kind (query, procedure,
    subscription) comes from there. The dispatch table is built once from these
    registrations; a second registration of the same NSID stops start-up.

    .. versionadded:: 0.1
    """


@hookspec
def pds_register_routes(routes: RouteRegistrar, pds: Pds) -> None:
    """Register plain HTTP routes outside ``/xrpc/<nsid>`` (``/``, ``/.well-known/...``).

    ``routes.add("/robots.txt", handler, methods=("GET",))``; the handler is an async
    callable taking the :class:`~exprsn_pds.pds.Pds` and returning a Quart response value.

    .. versionadded:: 0.1
    """


@hookspec
def pds_register_consumers(register: ConsumerRegistrar, pds: Pds) -> None:
    """Register durable consumers of the event log: ``register.add(name, on_event)``.

    Each consumer's cursor is kept in the database; the server feeds it every event in
    ``seq`` order, at least once, from whichever process holds its lease, starting after
    ``pds_startup`` and stopping (cursor saved) before ``pds_shutdown``. The way to build
    indexers and outboxes; see :mod:`exprsn_pds.events.consumers`. ``register.add_batch``
    takes a handler of several events at once. A name registered twice stops start-up.

    .. versionadded:: 0.2
    """


@hookspec
def pds_register_commands(commands: CommandRegistrar, pds: Pds) -> None:
    """Add sub-commands to the ``pds`` command line: ``commands.add(click_command)``.

    Called once while the server is built (``pds`` builds it to list and run commands;
    the database is not open). A command that needs the database opens it itself
    (``await pds.database.connect()``, ``migrate()``, then ``close()``) on the ``pds`` it
    closed over. Names must be unique; the built-in verbs (``serve``, ``db`` ...) win over
    a plugin's of the same name, which ``pds`` refuses with an error.

    .. versionadded:: 0.2
    """


@hookspec(firstresult=True)
def pds_xrpc_fallback(pds: Pds, nsid: str, request: Request) -> Any:
    """Answer an XRPC call that no registered handler serves (e.g. proxy it to an AppView).

    Return a Quart response value (or an awaitable of one) to answer, or ``None`` to
    let the next plugin try; when none answers the caller gets 501 MethodNotImplemented.

    .. versionadded:: 0.1
    """


@hookspec
def pds_startup(pds: Pds) -> Any:
    """Open this plugin's resources once the database, cache and HTTP client are ready.

    May return an awaitable, awaited before the next plugin starts. Plugins start in
    pluggy's order (``tryfirst`` first, ``trylast`` last, otherwise last-registered first).

    .. versionadded:: 0.1
    """


@hookspec
def pds_shutdown(pds: Pds) -> Any:
    """Close what ``pds_startup`` opened. May return an awaitable.

    Plugins stop in the reverse of their start order; ``tryfirst``/``trylast`` here are
    refused (mark ``pds_startup`` instead).

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def pds_blobstore(pds: Pds) -> BlobStore | None:
    """Return the blob store (an :class:`~exprsn_pds.blobs.BlobStore`) the server uses.

    Called once while the server is built (after the registration hooks); the first
    non-``None`` answer wins, and no answer at all stops start-up. The built-in ``blob``
    plugin answers last (``trylast``) with a :class:`~exprsn_pds.blobs.LocalDiskBlobStore`
    under ``<data_directory>/blobs``, so any other plugin's store (e.g. object storage)
    takes precedence.

    .. versionadded:: 0.1
    """


@hookspec(firstresult=True)
def pds_mailer(pds: Pds) -> Mailer | None:
    """Return the mailer (an :class:`~exprsn_pds.mail.Mailer`) the server sends e-mail with.

    Called once while the server is built, before the registration hooks (only
    ``pds.settings`` is ready), so a plugin that sends mail can check in
    ``pds_register_xrpc`` that one exists (``pds.has_mailer``). The first non-``None``
    answer wins. The built-in ``mailer`` plugin answers last (``trylast``): SMTP when
    ``email.smtp_url`` is set, otherwise a file outbox under ``<data_directory>/outbox``.

    .. versionadded:: 0.1
    """


@hookspec
def pds_on_event(pds: Pds, event: AnyEvent) -> Any:
    """See each event this process committed: ``event`` is a typed value
    (:class:`~exprsn_pds.events.CommitEvent`, :class:`~exprsn_pds.events.SyncEvent`,
    :class:`~exprsn_pds.events.IdentityEvent` or :class:`~exprsn_pds.events.AccountEvent`)
    with its ``seq`` and ``time``.

    Called once per event, after its transaction committed and the event was published,
    in ``seq`` order within one change, in the process that made it (events of other
    processes sharing the database are not seen here: a durable consumer reads them all).
    May return an awaitable, which is awaited; the change's caller waits for it, so do
    slow work elsewhere. A failure (raised or from the awaitable) is logged and never
    fails the change, which is already committed; the other implementations still run.

    .. versionadded:: 0.1
    """


@hookspec
def pds_check_record(
    pds: Pds,
    did: str,
    collection: str,
    rkey: str,
    record: dict[str, Any],
    origin: RecordOrigin,
) -> Any:
    """Allow, refuse or label a record before it is written to ``did``'s repo.

    Called for every created or updated record, before anything of the change is
    stored: ``createRecord``, ``putRecord``, ``applyWrites`` and writes plugins make
    through ``pds.repo_writer`` (``origin`` ``"write"``), and each record of an
    ``importRepo`` (``origin`` ``"import"``). ``record`` is the data-model value (links
    are :class:`~exprsn_pds.datamodel.Cid`); do not change it. Answer ``None`` to allow
    it; a :class:`~exprsn_pds.RecordRefusal` (``rule``, ``reason``) to refuse it, which
    the caller gets as a 400 ``InvalidRequest`` naming the rule, or raise an
    :class:`~exprsn_pds.XrpcError` of your own; or :class:`~exprsn_pds.RecordLabels` to
    allow it with label values, stored with the record in its transaction and read with
    :func:`~exprsn_pds.record_labels`. A refused record refuses its whole commit or
    import: nothing is written. May return an awaitable, which is awaited.

    .. versionadded:: 0.1
    """


@hookspec
def pds_feed_algorithms(pds: Pds) -> Iterable[FeedAlgorithm] | None:
    """Return the feed algorithms this plugin contributes (:class:`~exprsn_pds.FeedAlgorithm`).

    Called once while the server is built (the database is not open). Each algorithm is
    named (1 to 15 characters of ``[a-zA-Z0-9-]``: the record key of the
    ``app.bsky.feed.generator`` record publishing it) and fetched as
    ``await fetch(pds, viewer, limit, cursor)`` → :class:`~exprsn_pds.FeedSkeleton` (post
    URIs, optional repost URIs and feed contexts, the next cursor). This server then
    answers ``app.bsky.feed.getFeedSkeleton`` and ``describeFeedGenerator`` for them as a
    feed generator service (its DID document names a ``#bsky_fg`` service). A name given
    twice, or not a record key, stops start-up naming the plugins.

    .. versionadded:: 0.2
    """
