"""The Merkle log of RFC 6962 (Certificate Transparency), as revised by RFC 9162.

A leaf is hashed as ``SHA-256(0x00 ‖ leaf bytes)`` and an inner node as
``SHA-256(0x01 ‖ left ‖ right)``; the root of ``n`` leaves splits them at the largest power of
two below ``n``. The empty tree's root is ``SHA-256()``. :class:`MerkleFrontier` keeps only the
roots of the perfect subtrees the leaves so far decompose into (one per set bit of the size),
so appending is O(1) amortised and the root is O(log n), whatever the size.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 ‖ data)``: the hash of one leaf."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``: the hash of an inner node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


class MerkleFrontier:
    """The running root of a Merkle log: the roots of its perfect subtrees, largest first."""

    def __init__(self, size: int = 0, subtrees: Sequence[bytes] = ()) -> None:
        if size < 0 or size.bit_count() != len(subtrees):
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} perfect subtrees")
        self.size = size
        self.subtrees = list(subtrees)

    def append(self, leaf: bytes) -> None:
        """Add the hash of the next leaf (from :func:`leaf_hash`)."""
        node = leaf
        size = self.size
        # Each trailing set bit of the old size is a subtree of the new leaf's height.
        while size & 1:
            node = node_hash(self.subtrees.pop(), node)
            size >>= 1
        self.subtrees.append(node)
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append leaf hashes in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """The tree head: the RFC 6962 root of every leaf appended so far."""
        if not self.subtrees:
            return EMPTY_ROOT
        node = self.subtrees[-1]
        for subtree in reversed(self.subtrees[:-1]):
            node = node_hash(subtree, node)
        return node


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The root of a whole list of leaf hashes."""
    frontier = MerkleFrontier()
    frontier.extend(leaves)
    return frontier.root()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """The RFC 9162 proof that the tree of the first ``old_size`` leaves is a prefix of the
    tree of all ``leaves`` (section 2.1.4.1)."""
    if not 0 < old_size <= len(leaves):
        raise ValueError(f"old size must be in 1..{len(leaves)}, got {old_size}")

    def subproof(m: int, part: Sequence[bytes], complete: bool) -> list[bytes]:
        n = len(part)
        if m == n:
            return [] if complete else [root_of(part)]
        k = _split(n)
        if m <= k:
            return [*subproof(m, part[:k], complete), root_of(part[k:])]
        return [*subproof(m - k, part[k:], False), root_of(part[:k])]

    return subproof(old_size, leaves, True)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree ``(old_size, old_root)`` is a prefix of the tree
    ``(new_size, new_root)`` (RFC 9162 section 2.1.4.2)."""
    if not 0 < old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is a node of the path
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(node, fr)
            sr = node_hash(node, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, node)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
