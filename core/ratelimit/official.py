"""The official PDS's rate limits, declared once, for the plugins that serve the methods.

Names and numbers follow ``packages/pds`` of bluesky-social/atproto. ``GLOBAL_IP`` applies
to every XRPC call over HTTP; the others are attached by the plugins serving the methods
(``registry.add(nsid, handler, rate_limits=[...])``), e.g.::

    from exprsn_pds.ratelimit.official import CREATE_SESSION_DAY, CREATE_SESSION_5MIN

    registry.add("com.atproto.server.createSession", create_session,
                 rate_limits=[CREATE_SESSION_5MIN, CREATE_SESSION_DAY])
"""

from __future__ import annotations

from typing import Final

from exprsn_pds.ratelimit.rules import BY_DID, BY_IP, RateLimit, by_input_field_and_ip

GLOBAL_IP: Final = RateLimit("global-ip", "3000/5minute", key=BY_IP)
"""Every XRPC call, per client IP."""

REPO_WRITE_HOUR: Final = RateLimit("repo-write-hour", "5000/hour", key=BY_DID)
"""Repo writes per account and hour, in points (:data:`REPO_WRITE_POINTS`)."""

REPO_WRITE_DAY: Final = RateLimit("repo-write-day", "35000/day", key=BY_DID)
"""Repo writes per account and day, in points (:data:`REPO_WRITE_POINTS`)."""

REPO_WRITE_POINTS: Final = {"create": 3, "update": 2, "delete": 1}
"""What one write operation costs against the repo-write limits."""

UPLOAD_BLOB_DAY: Final = RateLimit("upload-blob-day", "1000/day", key=BY_DID)
"""``uploadBlob`` per account and day."""

CREATE_SESSION_5MIN: Final = RateLimit(
    "create-session-5min", "30/5minute", key=by_input_field_and_ip("identifier")
)
"""``createSession`` attempts per identifier and client IP, per five minutes."""

CREATE_SESSION_DAY: Final = RateLimit(
    "create-session-day", "300/day", key=by_input_field_and_ip("identifier")
)
"""``createSession`` attempts per identifier and client IP, per day."""

CREATE_ACCOUNT_5MIN: Final = RateLimit("create-account-5min", "100/5minute", key=BY_IP)
"""``createAccount`` per client IP, per five minutes."""

RESERVE_SIGNING_KEY_5MIN: Final = RateLimit("reserve-signing-key-5min", "100/5minute", key=BY_IP)
"""``reserveSigningKey`` per client IP, per five minutes. Not in the official PDS, which
leaves it to the global limit; here each reservation is a stored row, so it is budgeted
like ``createAccount``, the call it prepares."""

EMAIL_REQUEST_HOUR: Final = RateLimit("email-request-hour", "5/hour", key=BY_DID)
"""E-mails an account may have sent (confirmation, update, account deletion) per hour."""

EMAIL_REQUEST_DAY: Final = RateLimit("email-request-day", "15/day", key=BY_DID)
"""E-mails an account may have sent per day."""

PASSWORD_RESET_REQUEST_HOUR: Final = RateLimit("password-reset-request-hour", "15/hour", key=BY_IP)
"""``requestPasswordReset`` per client IP, per hour."""

PASSWORD_RESET_REQUEST_DAY: Final = RateLimit("password-reset-request-day", "50/day", key=BY_IP)
"""``requestPasswordReset`` per client IP, per day."""

TOKEN_REDEMPTION_5MIN: Final = RateLimit("token-redemption-5min", "50/5minute", key=BY_IP)
"""Attempts to redeem an e-mailed code (``resetPassword``, ``deleteAccount``) per client IP."""
