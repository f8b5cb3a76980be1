"""Computing a change: run the edits, seal the new tree, and say what it made,
dropped and needs as proof (without any I/O: a missing node raises
:class:`~exprsn_pds.repo.mst.node.NotLoaded`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from exprsn_pds.datamodel import Cid
from exprsn_pds.repo.mst.delta import Sealed, dropped_nodes, seal
from exprsn_pds.repo.mst.edit import TreeEditor
from exprsn_pds.repo.mst.node import Node
from exprsn_pds.repo.mst.ops import Edit, MstAction, MstChange
from exprsn_pds.repo.mst.search import covering_nodes


def compute_change(
    nodes: Mapping[Cid, Node], root: Node, edits: Sequence[Edit], *, stored: bool
) -> tuple[Sealed, MstChange]:
    """The sealed tree after ``edits`` on ``root``, and the change that describes it.

    ``stored`` says whether ``root``'s tree is in the block store (a new tree's is not:
    its empty root is then a new block, and nothing is removed).
    """
    editor = TreeEditor(nodes)
    edited: Node | None = None if root.is_empty else root
    for edit in edits:
        edited = editor.apply(edited, edit)
    sealed = seal(edited)
    removed, reused = dropped_nodes(nodes, root if stored else None, sealed)
    new_blocks = {
        cid: node.encoded()[1] for cid, node in sealed.created.items() if cid not in reused
    }
    proof_blocks: dict[Cid, bytes] = {}
    for edit in edits:
        added = edit.action is MstAction.CREATE
        for node in covering_nodes(nodes, sealed.root, edit.key, neighbours=added):
            cid, block = node.encoded()
            if cid not in new_blocks:
                proof_blocks[cid] = block
    change = MstChange(
        root=sealed.root.encoded()[0],
        new_blocks=new_blocks,
        removed=removed,
        proof_blocks=proof_blocks,
        prev_values={edit.key.decode(): editor.previous[edit.key] for edit in edits},
    )
    return sealed, change
