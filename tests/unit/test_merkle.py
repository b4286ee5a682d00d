"""The Merkle log against RFC 6962's definition and the Certificate Transparency test tree."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventstore.merkle import (
    EMPTY_ROOT,
    MerkleFrontier,
    consistency_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
)

# The leaves of the reference tree used by Certificate Transparency's own tests, and the
# root of each prefix of it.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEAVES = [leaf_hash(data) for data in CT_LEAVES]


def mth(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, literally."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def test_the_empty_tree_has_the_hash_of_nothing_as_its_root():
    assert MerkleFrontier().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_the_root_of_each_prefix_of_the_reference_tree_is_the_published_one(size):
    assert root_of(LEAVES[:size]).hex() == CT_ROOTS[size - 1]


def test_leaves_and_nodes_are_domain_separated():
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()


@given(st.lists(st.binary(max_size=4), min_size=1, max_size=70))
def test_the_frontier_gives_the_recursive_definitions_root_at_every_size(data):
    leaves = [leaf_hash(d) for d in data]
    frontier = MerkleFrontier()
    for size, leaf in enumerate(leaves, start=1):
        frontier.append(leaf)
        assert frontier.root() == mth(leaves[:size])
        assert len(frontier.subtrees) == size.bit_count()


def test_a_stored_frontier_carries_on_where_it_stopped():
    first = MerkleFrontier()
    first.extend(LEAVES[:5])
    resumed = MerkleFrontier(first.size, first.subtrees)
    resumed.extend(LEAVES[5:])
    assert resumed.root().hex() == CT_ROOTS[7]
    with pytest.raises(ValueError, match="5 leaves has 2 perfect subtrees"):
        MerkleFrontier(5, first.subtrees[:1])


@pytest.mark.parametrize("old", range(1, 9))
def test_every_smaller_tree_is_proven_consistent_with_the_whole(old):
    proof = consistency_proof(LEAVES, old)
    assert verify_consistency(old, 8, root_of(LEAVES[:old]), root_of(LEAVES), proof)


def test_consistency_proofs_of_rfc_9162_have_the_expected_shape():
    # RFC 9162 2.1.5: PROOF(3, D[7]) = [c, d, g, l] — here [leaf 2, leaf 3, node(0,1), k].
    proof = consistency_proof(LEAVES[:7], 3)
    assert proof == [LEAVES[2], LEAVES[3], root_of(LEAVES[:2]), root_of(LEAVES[4:7])]
    assert consistency_proof(LEAVES[:7], 4) == [root_of(LEAVES[4:7])]


def test_a_rewritten_old_tree_is_not_consistent_with_the_new_one():
    rewritten = [leaf_hash(b"forged"), *LEAVES[1:]]
    proof = consistency_proof(LEAVES, 3)
    assert not verify_consistency(3, 8, root_of(rewritten[:3]), root_of(LEAVES), proof)
    assert not verify_consistency(3, 8, root_of(LEAVES[:3]), root_of(rewritten), proof)
    assert not verify_consistency(3, 8, root_of(LEAVES[:3]), root_of(LEAVES), proof[:-1])
