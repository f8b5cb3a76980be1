"""Named rate limits, the keys they count by, and their use by an XRPC method.

A :class:`RateLimit` is declared once (``RateLimit("repo-write-hour", "5000/hour",
key=BY_DID)``); every use of it shares one counter per key. A method attaches it at
registration, optionally with a cost (``REPO_WRITE_HOUR.costing(3)``, or a function of
the call for costs that depend on the input); a handler may also consume it directly
(``await ctx.consume_rate_limit(limit, cost=n)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse

if TYPE_CHECKING:
    from exprsn_pds.xrpc.types import XrpcContext

KeyFunction = Callable[["XrpcContext"], "str | None"]
"""``call -> key``; a ``None`` key skips the limit for this call. Keys taken before
auth see the call without ``auth``, ``params`` or ``input``."""

CostFunction = Callable[["XrpcContext"], int]


@dataclass(frozen=True)
class RateLimitKey:
    """What a limit counts by: ``name`` for docs and logs, ``compute`` for the value.

    ``after_auth`` keys need the authenticated call (``ctx.auth``, ``ctx.input``); the
    others are taken from the request alone, before auth runs.
    """

    name: str
    compute: KeyFunction
    after_auth: bool


def _by_ip(call: XrpcContext) -> str:
    return call.client_ip


def _by_did(call: XrpcContext) -> str | None:
    return call.auth.did if call.auth is not None else None


BY_IP = RateLimitKey("ip", _by_ip, after_auth=False)
"""The client's IP address (``exprsn_pds.net.client_ip``)."""

BY_DID = RateLimitKey("did", _by_did, after_auth=True)
"""The authenticated account; calls without one are not counted."""


def by_input_field_and_ip(field_name: str) -> RateLimitKey:
    """The (case-folded) string ``field_name`` of the JSON input, plus the client IP.

    E.g. ``identifier`` for ``createSession``: one counter per account name per address,
    so guessing one account's password from one address is slow while other accounts
    on a shared address are not locked out. Calls without the field are not counted.
    """

    def compute(call: XrpcContext) -> str | None:
        value = call.input.get(field_name) if isinstance(call.input, dict) else None
        if not isinstance(value, str):
            return None
        return f"{value.casefold()}-{call.client_ip}"

    return RateLimitKey(f"{field_name}+ip", compute, after_auth=True)


@dataclass(frozen=True)
class RateLimit:
    """A named limit: ``rate`` in the ``limits`` notation (``"3000/5minute"``), a key.

    Counting is a fixed window that opens at the first hit on a key and lasts the
    limit's period. An unparsable ``rate`` raises :class:`ValueError` at declaration.
    """

    name: str
    rate: str
    key: RateLimitKey = BY_IP
    item: RateLimitItem = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parsed = parse(self.rate)
        object.__setattr__(
            self, "item", type(parsed)(parsed.amount, parsed.multiples, namespace=self.name)
        )

    @property
    def amount(self) -> int:
        """Points allowed per window."""
        return self.item.amount

    @property
    def window_s(self) -> int:
        """The window length in seconds."""
        return self.item.get_expiry()

    def costing(self, cost: int | CostFunction) -> LimitUse:
        """This limit, charging ``cost`` points per call (a number or a function of it)."""
        return LimitUse(self, cost)


@dataclass(frozen=True)
class LimitUse:
    """A limit as one method uses it: the points one call costs (1 by default)."""

    limit: RateLimit
    cost: int | CostFunction = 1

    @property
    def after_auth(self) -> bool:
        """Whether this use is checked after auth and input (its key or cost needs them)."""
        return self.limit.key.after_auth or not isinstance(self.cost, int)

    def points(self, call: XrpcContext) -> int:
        """What ``call`` costs; fewer than one point means it is not counted."""
        return self.cost if isinstance(self.cost, int) else self.cost(call)
