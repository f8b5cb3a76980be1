"""The ``app.bsky.notification`` methods the plugin serves, each for a session only, and
the live stream ``io.exprsn.notification.subscribe`` with its ``getStreamToken``, and the
calls the Bluesky app makes on start (``app_start.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

from exprsn_pds import XrpcContext, XrpcRegistrar
from exprsn_pds.plugins.appview import app_start, stream_methods
from exprsn_pds.plugins.appview import notification_methods as methods
from exprsn_pds.plugins.appview import notification_preferences as preferences
from exprsn_pds.plugins.appview.common import session_auth, viewer_auth

NOTIFICATION: Final = "app.bsky.notification"
STREAM_TOKEN: Final = "io.exprsn.notification.getStreamToken"
STREAM: Final = "io.exprsn.notification.subscribe"

METHODS: Final[dict[str, Callable[[XrpcContext], Awaitable[Any]]]] = {
    f"{NOTIFICATION}.listNotifications": methods.list_notifications,
    f"{NOTIFICATION}.getUnreadCount": methods.get_unread_count,
    f"{NOTIFICATION}.updateSeen": methods.update_seen,
    f"{NOTIFICATION}.getPreferences": preferences.get_preferences,
    f"{NOTIFICATION}.putPreferencesV2": preferences.put_preferences_v2,
    f"{NOTIFICATION}.putActivitySubscription": methods.put_activity_subscription,
    f"{NOTIFICATION}.listActivitySubscriptions": methods.list_activity_subscriptions,
    f"{NOTIFICATION}.registerPush": methods.register_push,
    f"{NOTIFICATION}.unregisterPush": methods.unregister_push,
}
"""Every method answers for the caller's own account: a session is required."""


def register_notification_methods(registry: XrpcRegistrar) -> None:
    """Add :data:`METHODS` to the dispatch table."""
    for nsid, handler in METHODS.items():
        registry.add(nsid, handler, auth=session_auth)
    registry.add(STREAM_TOKEN, stream_methods.get_stream_token, auth=session_auth)
    registry.add(STREAM, stream_methods.subscribe, auth=stream_methods.stream_auth)
    registry.add("app.bsky.labeler.getServices", app_start.get_services, auth=viewer_auth)
    registry.add("app.bsky.unspecced.getConfig", app_start.get_config, auth=viewer_auth)
    for nsid, handler in (
        ("app.bsky.ageassurance.getState", app_start.get_age_assurance_state),
        ("app.bsky.ageassurance.getConfig", app_start.get_age_assurance_config),
    ):
        registry.add(nsid, handler, auth=session_auth)
