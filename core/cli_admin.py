"""The administrator's ``pds`` verbs, like the official ``pdsadmin``.

``pds account create|list|info|delete|takedown|untakedown|reset-password``, ``pds
invite create|list`` and ``pds request-crawl``. Like ``pdsadmin`` they talk to the
running server over HTTP with the admin password from the configuration the server uses
(its config file, ``PDS_*`` variables and the secrets file in its data directory; nothing
is generated here), so the server sequences the events and live firehose subscribers see
them. The server is found at its listening address (``server.bind``, ``server.port``)
unless ``--url`` (before or after the verb) says otherwise. Accounts are named by DID
or handle.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import click
import httpx

from exprsn_pds.auth import ADMIN_USERNAME
from exprsn_pds.config import Settings
from exprsn_pds.events.crawlers import REQUEST_CRAWL_PATH
from exprsn_pds.syntax import Handle

DEFAULT_TIMEOUT_S = 30.0
#: Random bytes in a generated password (24 URL-safe characters, as pdsadmin's).
GENERATED_PASSWORD_BYTES = 18
LIST_PAGE_SIZE = 100
REPO_REF = "com.atproto.admin.defs#repoRef"
REPOS = "com.atproto.sync.listRepos"
WILDCARD_BINDS = ("0.0.0.0", "::", "")
LOOPBACK = "127.0.0.1"


class SettingsSource(Protocol):
    """What the ``pds`` group hands its commands: settings, loaded on demand."""

    url: str | None

    def settings(self) -> Settings:
        """The effective configuration."""
        ...

    def client_settings(self) -> Settings:
        """The configuration, as a client of the running server reads it (no secret made)."""
        ...


def server_url(settings: Settings) -> str:
    """Where the configured server listens, as a URL (a wildcard bind means this host)."""
    host = settings.bind
    if host in WILDCARD_BINDS:
        host = LOOPBACK
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


class AdminClient:
    """XRPC calls to a running server, as its admin (HTTP Basic)."""

    def __init__(self, url: str, password: str, timeout_s: float) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(
            auth=(ADMIN_USERNAME, password), timeout=timeout_s, follow_redirects=False
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def query(self, nsid: str, **params: Any) -> dict[str, Any]:
        """GET ``/xrpc/<nsid>``; its JSON answer."""
        return self._send("GET", nsid, params=params)

    def procedure(self, nsid: str, body: dict[str, Any], *, admin: bool = True) -> dict[str, Any]:
        """POST ``/xrpc/<nsid>`` (without the admin credentials unless ``admin``)."""
        return self._send("POST", nsid, json=body, admin=admin)

    def _send(
        self, method: str, nsid: str, *, admin: bool = True, **options: Any
    ) -> dict[str, Any]:
        url = f"{self.url}/xrpc/{nsid}"
        if not admin:
            options["auth"] = None
        try:
            response = self._http.request(method, url, **options)
        except httpx.HTTPError as error:
            raise click.ClickException(f"cannot reach {self.url}: {error}") from error
        try:
            answer: Any = response.json() if response.content else {}
        except ValueError:
            answer = {"message": response.text}
        if not response.is_success:
            error_name = answer.get("error", f"HTTP {response.status_code}")
            raise click.ClickException(f"{nsid}: {error_name}: {answer.get('message', '')}")
        return dict(answer)


def generate_password() -> str:
    """A new random password for an account."""
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


class _Holder:
    """The state of an admin group: where the server is, and how long to wait for it."""

    def __init__(self, source: SettingsSource, url: str | None, timeout_s: float) -> None:
        self.source = source
        self.url = url
        self.timeout_s = timeout_s


def _client(context: click.Context) -> AdminClient:
    holder = context.find_object(_Holder)
    if holder is None:
        raise click.UsageError("run this under `pds account` or `pds invite`")
    url = holder.url or holder.source.url
    settings = holder.source.client_settings()
    client = AdminClient(url or server_url(settings), settings.admin_password, holder.timeout_s)
    context.call_on_close(client.close)
    return client


def _set_url(context: click.Context, _parameter: click.Parameter, value: str | None) -> None:
    holder = context.find_object(_Holder)
    if value is not None and holder is not None:
        holder.url = value


URL_HELP = "The running server (default: http://<server.bind>:<server.port>)."


def _url_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--url`` on a verb too (``pds account list --url ...``), as on its group."""
    return click.option(
        "--url", default=None, expose_value=False, callback=_set_url, help=URL_HELP
    )(command)


def _server_group(name: str, help_text: str) -> click.Group:
    """A group of verbs that talk to the running server (``--url``, ``--timeout``)."""

    @click.group(name, help=help_text)
    @click.option("--url", default=None, help=URL_HELP)
    @click.option(
        "--timeout",
        "timeout_s",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        show_default=True,
        help="Seconds to wait for the server.",
    )
    @click.pass_context
    def group(context: click.Context, url: str | None, timeout_s: float) -> None:
        context.obj = _Holder(context.obj, url, timeout_s)

    return group


account_group = _server_group("account", "Manage accounts on the running server.")


@account_group.command("create")
@_url_option
@click.argument("email")
@click.argument("handle")
@click.pass_context
def account_create(context: click.Context, email: str, handle: str) -> None:
    """Create an account with a generated password; print its DID and password."""
    client = _client(context)
    password = generate_password()
    body = {"email": email, "handle": handle, "password": password}
    if client.query("com.atproto.server.describeServer").get("inviteCodeRequired"):
        invite = client.procedure("com.atproto.server.createInviteCode", {"useCount": 1})
        body["inviteCode"] = invite["code"]
    created = client.procedure("com.atproto.server.createAccount", body, admin=False)
    click.echo(f"Handle   : {created['handle']}")
    click.echo(f"DID      : {created['did']}")
    click.echo(f"Password : {password}")
    click.echo("Save this password, it will not be displayed again.")


@account_group.command("list")
@_url_option
@click.pass_context
def account_list(context: click.Context) -> None:
    """Every account: handle, e-mail address, status and DID."""
    client = _client(context)
    statuses = {repo["did"]: _status(repo) for repo in _pages(client, REPOS, "repos")}
    rows = [("HANDLE", "EMAIL", "STATUS", "DID")]
    rows += [
        (a["handle"], a.get("email", "-"), statuses.get(a["did"], "-"), a["did"])
        for a in _pages(client, "com.atproto.admin.searchAccounts", "accounts")
    ]
    _table(rows)


@account_group.command("info")
@_url_option
@click.argument("account")
@click.pass_context
def account_info(context: click.Context, account: str) -> None:
    """One account (DID or handle): handle, e-mail, status, dates, invites."""
    client = _client(context)
    did = _resolve(client, account)
    info = client.query("com.atproto.admin.getAccountInfo", did=did)
    status = _status(client.query("com.atproto.sync.getRepoStatus", did=did))
    rows = [
        ("Handle", info["handle"]),
        ("DID", did),
        ("Email", info.get("email", "-")),
        ("Email confirmed", info.get("emailConfirmedAt", "no")),
        ("Status", status),
        ("Created", info.get("indexedAt", "-")),
        ("Deactivated", info.get("deactivatedAt", "-")),
        ("Invites", "disabled" if info.get("invitesDisabled") else "enabled"),
        ("Invited by", info.get("invitedBy", {}).get("code", "-")),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        click.echo(f"{name.ljust(width)} : {value}")


def _pages(client: AdminClient, nsid: str, key: str) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": LIST_PAGE_SIZE}
        if cursor:
            params["cursor"] = cursor
        page = client.query(nsid, **params)
        yield from page[key]
        cursor = page.get("cursor")
        if not cursor or not page[key]:
            return


def _status(repo: dict[str, Any]) -> str:
    """``active``, or why not (``takendown``, ``deactivated`` ...), from a repo status."""
    return "active" if repo.get("active") else str(repo.get("status", "inactive"))


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


def _resolve(client: AdminClient, account: str) -> str:
    """The DID of ``account``: a DID as given, a handle as the server resolves it."""
    if account.startswith("did:"):
        return account
    found = client.query("com.atproto.identity.resolveHandle", handle=account.lstrip("@"))
    return str(found["did"])


def _account_argument(command: Callable[..., Any]) -> Callable[..., Any]:
    def check(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
        if not (value.startswith("did:") or Handle.is_valid(value.lstrip("@"))):
            raise click.BadParameter("must be a DID (did:...) or a handle (name.example.com)")
        return value

    return click.argument("account", callback=check)(command)


@account_group.command("delete")
@_url_option
@_account_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def account_delete(context: click.Context, account: str, yes: bool) -> None:
    """Delete an account (DID or handle) and everything it has here (permanent)."""
    client = _client(context)
    did = _resolve(client, account)
    if not yes:
        click.confirm(f"This action is permanent. Delete {did}?", abort=True)
    client.procedure("com.atproto.admin.deleteAccount", {"did": did})
    click.echo(f"{did} deleted")


@account_group.command("takedown")
@_url_option
@_account_argument
@click.option("--ref", default=None, help="Takedown reference (default: the current time).")
@click.pass_context
def account_takedown(context: click.Context, account: str, ref: str | None) -> None:
    """Take an account down: its repo is hidden and its sessions revoked."""
    takedown = {"applied": True, "ref": ref or str(int(time.time()))}
    did = _set_takedown(context, account, takedown)
    click.echo(f"{did} taken down")


@account_group.command("untakedown")
@_url_option
@_account_argument
@click.pass_context
def account_untakedown(context: click.Context, account: str) -> None:
    """Lift an account's takedown."""
    did = _set_takedown(context, account, {"applied": False})
    click.echo(f"{did} untaken down")


def _set_takedown(context: click.Context, account: str, takedown: dict[str, Any]) -> str:
    client = _client(context)
    did = _resolve(client, account)
    client.procedure(
        "com.atproto.admin.updateSubjectStatus",
        {"subject": {"$type": REPO_REF, "did": did}, "takedown": takedown},
    )
    return did


@account_group.command("reset-password")
@_url_option
@_account_argument
@click.pass_context
def account_reset_password(context: click.Context, account: str) -> None:
    """Give an account a new generated password (its sessions are revoked); print it."""
    client = _client(context)
    did = _resolve(client, account)
    password = generate_password()
    client.procedure("com.atproto.admin.updateAccountPassword", {"did": did, "password": password})
    click.echo(f"Password reset for {did}")
    click.echo(f"New password: {password}")


invite_group = _server_group("invite", "Manage invite codes on the running server.")


@invite_group.command("create")
@_url_option
@click.option("--uses", type=click.IntRange(min=1), default=1, show_default=True)
@click.pass_context
def invite_create(context: click.Context, uses: int) -> None:
    """Create an invite code; print it."""
    created = _client(context).procedure("com.atproto.server.createInviteCode", {"useCount": uses})
    click.echo(created["code"])


@invite_group.command("list")
@_url_option
@click.pass_context
def invite_list(context: click.Context) -> None:
    """Every invite code: uses left, uses, whether disabled, and for which account."""
    rows = [("CODE", "AVAILABLE", "USES", "DISABLED", "FOR")]
    for code in _pages(_client(context), "com.atproto.admin.getInviteCodes", "codes"):
        rows.append(
            (
                code["code"],
                str(code["available"]),
                str(len(code.get("uses", []))),
                "yes" if code.get("disabled") else "no",
                code.get("forAccount", "-"),
            )
        )
    _table(rows)


@click.command("request-crawl")
@click.argument("relays", nargs=-1)
@click.option("--timeout", "timeout_s", type=float, default=DEFAULT_TIMEOUT_S, show_default=True)
@click.pass_obj
def request_crawl(source: SettingsSource, relays: tuple[str, ...], timeout_s: float) -> None:
    """Ask relays to crawl this server (default: the configured ``sync.crawlers``)."""
    settings = source.settings()
    hosts = [host for relay in relays for host in relay.split(",") if host] or list(
        settings.crawlers
    )
    if not hosts:
        raise click.UsageError("no relay given and none configured (sync.crawlers)")
    with httpx.Client(timeout=timeout_s) as http:
        for host in hosts:
            base = host if host.startswith(("http://", "https://")) else f"https://{host}"
            click.echo(f"Requesting crawl from {base}")
            try:
                response = http.post(
                    base.rstrip("/") + REQUEST_CRAWL_PATH, json={"hostname": settings.hostname}
                )
            except httpx.HTTPError as error:
                raise click.ClickException(f"cannot reach {base}: {error}") from error
            if not response.is_success:
                raise click.ClickException(
                    f"{base} answered {response.status_code}: {response.text}"
                )
    click.echo("done")
