"""Presentation of the ``app.bsky.graph`` views from a :class:`~.graph_hydrate.GraphState`:
``listView``, ``listItemView``, ``starterPackView`` (with its ``generatorView`` feeds) and
``relationship``; the actor views and ``listViewBasic`` / ``starterPackViewBasic`` are
:class:`~.views.Views`'."""

from __future__ import annotations

from typing import Any, Final

from exprsn_pds.plugins.appview.graph_hydrate import GraphState
from exprsn_pds.plugins.appview.views import ImageUrl, Views

RELATIONSHIP: Final = "app.bsky.graph.defs#relationship"
NOT_FOUND_ACTOR: Final = "app.bsky.graph.defs#notFoundActor"
REFERENCE_LIST: Final = "app.bsky.graph.defs#referencelist"


class GraphViews(Views):
    """The actor views plus the graph's own."""

    def __init__(self, state: GraphState, image_url: ImageUrl, labeler: str | None = None) -> None:
        super().__init__(state.actors, image_url, labeler)
        self.graph = state

    def shown_profile(self, did: str) -> dict[str, Any] | None:
        """``profileView`` of an active actor, ``None`` for one unknown or not active."""
        return self.profile(did) if self.state.visible(did) else None

    def list_view(self, uri: str) -> dict[str, Any] | None:
        """``app.bsky.graph.defs#listView``: the basic view with its creator and description;
        ``None`` if the list or its creator is not shown."""
        view = self.list_basic(uri)
        row = self.state.lists.get(uri)
        if view is None or row is None:
            return None
        creator = self.shown_profile(row["did"])
        if creator is None:
            return None
        view["creator"] = creator
        if row["description"]:
            view["description"] = row["description"]
            facets = self.graph.list_records.get(uri, {}).get("descriptionFacets")
            if isinstance(facets, list):
                view["descriptionFacets"] = facets
        return view

    def list_item(self, uri: str, did: str) -> dict[str, Any] | None:
        """``app.bsky.graph.defs#listItemView`` of an active member."""
        subject = self.shown_profile(did)
        return None if subject is None else {"uri": uri, "subject": subject}

    def starter_pack(self, uri: str, sample: list[tuple[str, str]]) -> dict[str, Any] | None:
        """``app.bsky.graph.defs#starterPackView``: the basic view with its list, a sample of
        the list's members and its feeds; ``None`` if its creator is not active."""
        view = self.starter_pack_basic(uri)
        pack = self.state.starter_packs.get(uri)
        if view is None or pack is None or not self.state.visible(pack["did"]):
            return None
        list_uri = pack["list_uri"]
        if list_uri and (list_view := self.list_basic(list_uri)) is not None:
            view["list"] = list_view
        view["listItemsSample"] = [
            item
            for item_uri, did in sample
            if (
                self.state.viewer == pack["did"]
                or not self.state.blocked_either_way(pack["did"], did)
            )
            and (item := self.list_item(item_uri, did)) is not None
        ]
        view["feeds"] = [
            feed
            for feed_uri in self._pack_feeds(view["record"])
            if (feed := self.generator(feed_uri)) is not None
        ]
        return view

    def generator(self, uri: str) -> dict[str, Any] | None:
        """``app.bsky.feed.defs#generatorView`` of an indexed feed generator."""
        row = self.graph.generators.get(uri)
        if row is None:
            return None
        creator = self.shown_profile(row["did"])
        if creator is None:
            return None
        record = self.graph.generator_records.get(uri, {})
        view: dict[str, Any] = {
            "uri": uri,
            "cid": row["cid"],
            "did": row["feed_did"],
            "creator": creator,
            "displayName": row["display_name"],
            "likeCount": self.graph.generator_likes.get(uri, 0),
            "labels": [],
            "indexedAt": row["indexed_at"],
        }
        if row["description"]:
            view["description"] = row["description"]
        for key in ("descriptionFacets", "acceptsInteractions", "contentMode"):
            if key in record:
                view[key] = record[key]
        if row["avatar_cid"]:
            view["avatar"] = self._image("avatar", row["did"], row["avatar_cid"])
        if self.state.viewer is not None:
            like = self.graph.generator_viewer_likes.get(uri)
            view["viewer"] = {"like": like} if like else {}
        return view

    @staticmethod
    def _pack_feeds(record: Any) -> list[str]:
        feeds = record.get("feeds") if isinstance(record, dict) else None
        if not isinstance(feeds, list):
            return []
        return [f["uri"] for f in feeds if isinstance(f, dict) and isinstance(f.get("uri"), str)]


def relationship(did: str, facts: dict[str, str]) -> dict[str, Any]:
    """``app.bsky.graph.defs#relationship`` of ``did`` with the given edge URIs."""
    return {"$type": RELATIONSHIP, "did": did, **facts}


def not_found_actor(actor: str) -> dict[str, Any]:
    """``app.bsky.graph.defs#notFoundActor``."""
    return {"$type": NOT_FOUND_ACTOR, "actor": actor, "notFound": True}
