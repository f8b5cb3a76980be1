"""Presentation: lexicon views built from an :class:`~.hydrate.ActorState`, nothing else.

``profileViewBasic``, ``profileView`` and ``profileViewDetailed`` (``app.bsky.actor.defs``),
with the viewer state, and the ``listViewBasic`` and ``starterPackViewBasic`` they embed;
fields are filled where the official AppView fills them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from exprsn_pds.plugins.appview.hydrate import ActorState

INVALID_HANDLE: Final = "handle.invalid"
DEFAULT_ALLOW_SUBSCRIPTIONS: Final = "followers"
PROFILE: Final = "app.bsky.actor.profile"
HTTPS: Final = "https://"

ImageUrl = Callable[[str, str, str], str]
"""``(preset, did, cid) → URL`` of a blob's image."""


class Views:
    """Builds views from one request's hydration state; with ``labeler`` (this server's
    DID, when the caller accepts it as a labeler), the labels this server attached."""

    def __init__(self, state: ActorState, image_url: ImageUrl, labeler: str | None = None) -> None:
        self.state = state
        self._image = image_url
        self._labeler = labeler

    def profile_basic(self, did: str) -> dict[str, Any] | None:
        """``app.bsky.actor.defs#profileViewBasic``, or ``None`` for an unknown actor."""
        actor = self.state.actors.get(did)
        if actor is None:
            return None
        profile = self.state.profiles.get(did)
        view: dict[str, Any] = {"did": did, "handle": actor.handle or INVALID_HANDLE}
        associated: dict[str, Any] = {
            "activitySubscription": {"allowSubscriptions": self._allow_subscriptions(did)}
        }
        if did in self.state.labelers:
            associated["labeler"] = True
        if (chat := self.state.allow_chat.get(did)) is not None:
            associated["chat"] = {"allowIncoming": chat}
        view["associated"] = associated
        if (viewer := self.viewer_state(did)) is not None:
            view["viewer"] = viewer
        view["labels"] = self._profile_labels(did)
        if profile is not None:
            _put(view, "displayName", profile["display_name"])
            _put(view, "pronouns", profile["pronouns"])
            if profile["avatar_cid"]:
                view["avatar"] = self._image("avatar", did, profile["avatar_cid"])
            _put(view, "createdAt", profile["created_at"])
        if (verification := self.verification(did)) is not None:
            view["verification"] = verification
        return view

    def verification(self, did: str) -> dict[str, Any] | None:
        """``app.bsky.actor.defs#verificationState`` of ``did``: the trusted verifiers'
        verifications (each valid while it names the actor's current handle and display
        name), and whether the actor is one (``None``: neither, or no valid handle)."""
        actor = self.state.actors.get(did)
        if actor is None or not actor.handle or actor.handle == INVALID_HANDLE:
            return None
        name = (self.state.profiles.get(did) or {}).get("display_name")
        verifications = []
        for row in self.state.verifications.get(did, []):
            issuer = self.state.actors.get(row.issuer)
            shown: dict[str, Any] = {
                "issuer": row.issuer,
                "uri": row.uri,
                "isValid": bool(row.display_name)
                and row.display_name == name
                and row.handle == actor.handle,
                "createdAt": row.created_at,
            }
            issuer_name = (self.state.profiles.get(row.issuer) or {}).get("display_name")
            _put(shown, "issuerDisplayName", issuer_name)
            if issuer is not None and issuer.handle:
                shown["issuerHandle"] = issuer.handle
            verifications.append(shown)
        trusted = did in self.state.trusted_verifiers
        if not verifications and not trusted:
            return None
        valid = any(item["isValid"] for item in verifications)
        return {
            "verifications": verifications,
            "verifiedStatus": ("valid" if valid else "invalid") if verifications else "none",
            "trustedVerifierStatus": "valid" if trusted else "none",
        }

    def profile(self, did: str) -> dict[str, Any] | None:
        """``app.bsky.actor.defs#profileView``."""
        view = self.profile_basic(did)
        if view is None:
            return None
        profile = self.state.profiles.get(did)
        if profile is not None:
            if profile["description"]:
                view["description"] = profile["description"]
            view["indexedAt"] = profile["indexed_at"]
        return view

    def profile_detailed(self, did: str) -> dict[str, Any] | None:
        """``app.bsky.actor.defs#profileViewDetailed``, with counts and known followers."""
        view = self.profile(did)
        if view is None:
            return None
        profile = self.state.profiles.get(did) or {}
        counts = self.state.counts.get(did, {})
        view["followersCount"] = counts.get("followers", 0)
        view["followsCount"] = counts.get("follows", 0)
        view["postsCount"] = counts.get("posts", 0)
        view["associated"] |= {
            "lists": counts.get("lists", 0),
            "feedgens": counts.get("feedgens", 0),
            "starterPacks": counts.get("starter_packs", 0),
            "labeler": did in self.state.labelers,
        }
        if profile.get("banner_cid"):
            view["banner"] = self._image("banner", did, profile["banner_cid"])
        website = profile.get("website")
        if website and website.startswith(HTTPS):
            view["website"] = website
        if profile.get("joined_via_uri"):
            pack = self.starter_pack_basic(profile["joined_via_uri"])
            if pack is not None:
                view["joinedViaStarterPack"] = pack
        if profile.get("pinned_uri") and profile.get("pinned_cid"):
            view["pinnedPost"] = {"uri": profile["pinned_uri"], "cid": profile["pinned_cid"]}
        if "viewer" in view and (known := self.known_followers(did)) is not None:
            view["viewer"]["knownFollowers"] = known
        return view

    def viewer_state(self, did: str) -> dict[str, Any] | None:
        """``app.bsky.actor.defs#viewerState`` of the viewer towards ``did``."""
        state = self.state
        if state.viewer is None:
            return None
        blocking_list = state.blocking_by_list.get(did)
        blocking = state.blocking.get(did) or blocking_list
        blocked_by = state.blocked_by.get(did) or state.blocked_by_list.get(did)
        block = bool(blocking or blocked_by)
        muted_list = state.muted_by_list.get(did)
        muted = did in state.muted or muted_list is not None
        viewer: dict[str, Any] = {
            "muted": muted,
            "mutedOnlyReposts": not muted and did in state.muted_reposts,
            "mutedOnlyQuoteposts": not muted and did in state.muted_quotes,
            "blockedBy": bool(blocked_by),
        }
        if muted_list is not None and (muted_view := self.list_basic(muted_list)) is not None:
            viewer["mutedByList"] = muted_view
        if blocking:
            viewer["blocking"] = blocking
        if blocking_list is not None and (blocking_view := self.list_basic(blocking_list)):
            viewer["blockingByList"] = blocking_view
        following = state.following.get(did)
        followed_by = state.followed_by.get(did)
        if following and not block:
            viewer["following"] = following
        if followed_by and not block:
            viewer["followedBy"] = followed_by
        subscription = state.subscriptions.get(did)
        if subscription is not None and self._may_subscribe(did, following, followed_by):
            viewer["activitySubscription"] = {"post": subscription[0], "reply": subscription[1]}
        return viewer

    def known_followers(self, did: str) -> dict[str, Any] | None:
        """``knownFollowers``: how many of ``did``'s followers the viewer follows, and the
        first ``known_followers_max`` of them (those blocking or blocked by the viewer or
        ``did`` left out)."""
        followers = self.state.known_followers.get(did)
        if not followers:
            return None
        shown = []
        for follower in followers[: self.state.known_followers_max]:
            if self.state.viewer_block(follower) or self.state.blocked_either_way(did, follower):
                continue
            if not self.state.visible(follower):
                continue
            if (view := self.profile_basic(follower)) is not None:
                shown.append(view)
        return {"count": len(followers), "followers": shown}

    def list_basic(self, uri: str) -> dict[str, Any] | None:
        """``app.bsky.graph.defs#listViewBasic``."""
        row = self.state.lists.get(uri)
        if row is None:
            return None
        view: dict[str, Any] = {
            "uri": uri,
            "cid": row["cid"],
            "name": row["name"],
            "purpose": row["purpose"],
            "listItemCount": row["items"],
            "indexedAt": row["indexed_at"],
            "labels": [],
        }
        if row["avatar_cid"]:
            view["avatar"] = self._image("avatar", row["did"], row["avatar_cid"])
        if self.state.viewer is not None:
            list_viewer: dict[str, Any] = {"muted": uri in self.state.lists_muted_by_viewer}
            if (blocked := self.state.list_blocks_by_viewer.get(uri)) is not None:
                list_viewer["blocked"] = blocked
            view["viewer"] = list_viewer
        return view

    def starter_pack_basic(self, uri: str) -> dict[str, Any] | None:
        """``app.bsky.graph.defs#starterPackViewBasic``."""
        pack = self.state.starter_packs.get(uri)
        record = self.state.starter_pack_records.get(uri)
        if pack is None or record is None:
            return None
        creator = self.profile_basic(pack["did"])
        if creator is None:
            return None
        all_time, week = self.state.starter_pack_joins.get(uri, (0, 0))
        return {
            "uri": uri,
            "cid": pack["cid"],
            "record": json.loads(record),
            "creator": creator,
            "joinedAllTimeCount": all_time,
            "joinedWeekCount": week,
            "labels": [],
            "indexedAt": pack["indexed_at"],
        }

    def _allow_subscriptions(self, did: str) -> str:
        return self.state.allow_subscriptions.get(did, DEFAULT_ALLOW_SUBSCRIPTIONS)

    def _may_subscribe(self, did: str, following: str | None, followed_by: str | None) -> bool:
        allow = self._allow_subscriptions(did)
        if allow == "followers":
            return following is not None
        if allow == "mutuals":
            return following is not None and followed_by is not None
        return False

    def server_labels(
        self, uri: str, cid: str, labels: Iterable[tuple[str, str, str]]
    ) -> list[dict[str, Any]]:
        """This server's ``labels`` (``(cid, value, created at)``) of the version ``cid`` of
        ``uri`` as ``com.atproto.label.defs#label`` values (unsigned, ``src`` the service
        DID), when the caller accepts this server as a labeler."""
        if self._labeler is None:
            return []
        return [
            {"ver": 1, "src": self._labeler, "uri": uri, "cid": cid, "val": val, "cts": cts}
            for label_cid, val, cts in labels
            if label_cid == cid
        ]

    def _profile_labels(self, did: str) -> list[dict[str, Any]]:
        profile = self.state.profiles.get(did)
        if profile is None:
            return []
        shown = self.server_labels(
            profile["uri"], profile["cid"], self.state.profile_labels.get(did, [])
        )
        if not profile["self_labels"]:
            return shown
        cts = profile["created_at"] or profile["indexed_at"]
        return shown + [
            {"src": did, "uri": profile["uri"], "cid": profile["cid"], "val": value, "cts": cts}
            for value in json.loads(profile["self_labels"])
        ]


def _put(view: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        view[key] = value
