"""The administrator's ``pds`` verbs, like the official ``pdsadmin``.

``pds account create|list|delete|takedown|untakedown|reset-password``, ``pds invite
create`` and ``pds request-crawl``. Like ``pdsadmin`` they talk to the running server
over HTTP with the admin password from the configuration, so the server sequences the
events and live firehose subscribers see them. ``--url`` defaults to the configured
public URL.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol

import click
import httpx

from exprsn_pds.auth import ADMIN_USERNAME
from exprsn_pds.config import Settings
from exprsn_pds.events.crawlers import REQUEST_CRAWL_PATH

DEFAULT_TIMEOUT_S = 30.0
#: Random bytes in a generated password (24 URL-safe characters, as pdsadmin's).
GENERATED_PASSWORD_BYTES = 18
LIST_PAGE_SIZE = 100
REPO_REF = "com.atproto.admin.defs#repoRef"


class SettingsSource(Protocol):
    """What the ``pds`` group hands its commands: settings, loaded on demand."""

    def settings(self) -> Settings:
        """The effective configuration."""
        ...


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
    settings = holder.source.settings()
    url = holder.url or settings.public_url
    client = AdminClient(url, settings.admin_password, holder.timeout_s)
    context.call_on_close(client.close)
    return client


def _server_group(name: str, help_text: str) -> click.Group:
    """A group of verbs that talk to the running server (``--url``, ``--timeout``)."""

    @click.group(name, help=help_text)
    @click.option(
        "--url", default=None, help="The running server (default: the configured public URL)."
    )
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
@click.pass_context
def account_list(context: click.Context) -> None:
    """Every account: handle, e-mail address and DID."""
    client = _client(context)
    rows = [("HANDLE", "EMAIL", "DID")]
    cursor: str | None = None
    while True:
        page = client.query(
            "com.atproto.admin.searchAccounts",
            limit=LIST_PAGE_SIZE,
            **({"cursor": cursor} if cursor else {}),
        )
        rows += [(a["handle"], a.get("email", "-"), a["did"]) for a in page["accounts"]]
        cursor = page.get("cursor")
        if cursor is None:
            break
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for handle, email, did in rows:
        click.echo(f"{handle.ljust(widths[0])}  {email.ljust(widths[1])}  {did}")


def _did_argument(command: Callable[..., Any]) -> Callable[..., Any]:
    def check(_context: click.Context, _parameter: click.Parameter, value: str) -> str:
        if not value.startswith("did:"):
            raise click.BadParameter('must start with "did:"')
        return value

    return click.argument("did", callback=check)(command)


@account_group.command("delete")
@_did_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def account_delete(context: click.Context, did: str, yes: bool) -> None:
    """Delete an account and everything it has here (permanent)."""
    if not yes:
        click.confirm(f"This action is permanent. Delete {did}?", abort=True)
    _client(context).procedure("com.atproto.admin.deleteAccount", {"did": did})
    click.echo(f"{did} deleted")


@account_group.command("takedown")
@_did_argument
@click.option("--ref", default=None, help="Takedown reference (default: the current time).")
@click.pass_context
def account_takedown(context: click.Context, did: str, ref: str | None) -> None:
    """Take an account down: its repo is hidden and its sessions revoked."""
    takedown = {"applied": True, "ref": ref or str(int(time.time()))}
    _set_takedown(context, did, takedown)
    click.echo(f"{did} taken down")


@account_group.command("untakedown")
@_did_argument
@click.pass_context
def account_untakedown(context: click.Context, did: str) -> None:
    """Lift an account's takedown."""
    _set_takedown(context, did, {"applied": False})
    click.echo(f"{did} untaken down")


def _set_takedown(context: click.Context, did: str, takedown: dict[str, Any]) -> None:
    _client(context).procedure(
        "com.atproto.admin.updateSubjectStatus",
        {"subject": {"$type": REPO_REF, "did": did}, "takedown": takedown},
    )


@account_group.command("reset-password")
@_did_argument
@click.pass_context
def account_reset_password(context: click.Context, did: str) -> None:
    """Give an account a new generated password (its sessions are revoked); print it."""
    password = generate_password()
    _client(context).procedure(
        "com.atproto.admin.updateAccountPassword", {"did": did, "password": password}
    )
    click.echo(f"Password reset for {did}")
    click.echo(f"New password: {password}")


invite_group = _server_group("invite", "Manage invite codes on the running server.")


@invite_group.command("create")
@click.option("--uses", type=click.IntRange(min=1), default=1, show_default=True)
@click.pass_context
def invite_create(context: click.Context, uses: int) -> None:
    """Create an invite code; print it."""
    created = _client(context).procedure("com.atproto.server.createInviteCode", {"useCount": uses})
    click.echo(created["code"])


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
