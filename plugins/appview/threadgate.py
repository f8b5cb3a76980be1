"""A root post's threadgate: its rules, who may reply under them, and the replies it hides.

As the official AppView's: no threadgate, or one without ``allow``, lets anyone reply; an
empty ``allow`` lets nobody but the root's author; otherwise a replier passes when one rule
admits them: ``mentionRule`` (the root's facets mention them), ``followerRule`` (they follow
the root's author), ``followingRule`` (the root's author follows them), ``listRule`` (they
are an item of the list). ``hiddenReplies`` lists replies shown only on request
(``getPostThreadOtherV2``). The index evaluates the rules once, when a reply is indexed
(:mod:`.thread_index`), so a later change of the gate or of the follows does not change
whether an earlier reply broke it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import recipient_store

THREADGATE_COLLECTION: Final = "app.bsky.feed.threadgate"
RULE_MENTION: Final = "app.bsky.feed.threadgate#mentionRule"
RULE_FOLLOWER: Final = "app.bsky.feed.threadgate#followerRule"
RULE_FOLLOWING: Final = "app.bsky.feed.threadgate#followingRule"
RULE_LIST: Final = "app.bsky.feed.threadgate#listRule"
MENTION_FEATURE: Final = "app.bsky.richtext.facet#mention"


def did_of(uri: str) -> str:
    """The authority (a DID for the URIs the index holds) of an AT-URI."""
    return uri[len("at://") :].split("/", 1)[0] if uri.startswith("at://") else ""


def threadgate_uri(post_uri: str) -> str:
    """Where a post's threadgate lives: the author's ``app.bsky.feed.threadgate`` record with
    the post's record key."""
    return f"at://{did_of(post_uri)}/{THREADGATE_COLLECTION}/{post_uri.rsplit('/', 1)[-1]}"


def mentioned_dids(facets_json: str | None) -> list[str]:
    """The DIDs a post's facets (JSON) mention, in order, once each."""
    if not facets_json:
        return []
    found: list[str] = []
    facets = json.loads(facets_json)
    for facet in facets if isinstance(facets, list) else []:
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if isinstance(features, list) else []:
            if not isinstance(feature, dict) or feature.get("$type") != MENTION_FEATURE:
                continue
            did = feature.get("did")
            if isinstance(did, str) and did.startswith("did:") and did not in found:
                found.append(did)
    return found


@dataclass(frozen=True)
class Gate:
    """A threadgate's rules: ``allow`` (``None``: anyone) and its hidden replies."""

    allow: list[dict[str, Any]] | None
    hidden: frozenset[str]

    @classmethod
    def parse(cls, allow_json: str | None, hidden_json: str | None) -> Gate:
        """The gate of a stored ``appview_threadgate`` row's ``allow`` and
        ``hidden_replies`` columns."""
        allow = None if allow_json is None else json.loads(allow_json)
        hidden = json.loads(hidden_json) if hidden_json else []
        return cls(
            None if not isinstance(allow, list) else [r for r in allow if isinstance(r, dict)],
            frozenset(uri for uri in hidden if isinstance(uri, str)),
        )

    def rule_kinds(self) -> set[str]:
        """The ``$type`` of every rule."""
        return {str(rule.get("$type")) for rule in self.allow or []}

    def list_uris(self) -> list[str]:
        """The lists of its ``listRule`` rules, in order."""
        return [
            rule["list"]
            for rule in self.allow or []
            if rule.get("$type") == RULE_LIST and isinstance(rule.get("list"), str)
        ]


async def root_gate(client: BaseDBAsyncClient, root_uri: str) -> Gate | None:
    """The threadgate of the root post ``root_uri``, if indexed."""
    found = await recipient_store.threadgate(client, root_uri, did_of(root_uri))
    return None if found is None else Gate.parse(found[0], found[1])


async def may_reply(client: BaseDBAsyncClient, replier: str, root_uri: str, gate: Gate) -> bool:
    """Whether ``gate`` (the root's) lets ``replier`` reply in the thread of ``root_uri``."""
    owner = did_of(root_uri)
    if gate.allow is None or replier == owner:
        return True
    kinds = gate.rule_kinds()
    if RULE_MENTION in kinds and replier in mentioned_dids(
        await recipient_store.post_facets(client, root_uri)
    ):
        return True
    if RULE_FOLLOWER in kinds and await recipient_store.follows(client, replier, owner):
        return True
    if RULE_FOLLOWING in kinds and await recipient_store.follows(client, owner, replier):
        return True
    for list_uri in gate.list_uris():
        if await recipient_store.listed(client, list_uri, replier):
            return True
    return False
