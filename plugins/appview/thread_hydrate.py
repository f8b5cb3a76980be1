"""What a thread needs besides its posts' views (:func:`~.post_hydrate.hydrate_posts`).

For a :class:`~.thread_skeleton.ThreadSkeleton`: :func:`thread_actors` names the DIDs whose
block and mute state the thread's rules read (the authors of its posts and of the posts they
reply to), and :func:`root_author_likes` loads the root author's likes of the thread's posts
(each post's ``threadContext.rootAuthorLike``, and the ``top`` sort's boost).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from exprsn_pds.plugins.appview import graph_store
from exprsn_pds.plugins.appview.thread_skeleton import ThreadSkeleton
from exprsn_pds.plugins.appview.threadgate import did_of


def thread_actors(skeleton: ThreadSkeleton) -> set[str]:
    """The authors of the skeleton's posts and of the posts they reply to."""
    dids = set()
    for post in skeleton.posts.values():
        dids.add(post.did)
        if post.parent_uri:
            dids.add(did_of(post.parent_uri))
    return dids


async def root_author_likes(client: BaseDBAsyncClient, skeleton: ThreadSkeleton) -> dict[str, str]:
    """``post → like`` of the root author's likes of the skeleton's posts."""
    if skeleton.anchor_post is None:
        return {}
    return await graph_store.likes_by(client, did_of(skeleton.root), skeleton.uris())
