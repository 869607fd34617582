"""The ledger's Merkle tree is RFC 9162's (shared/ledger/merkle.py): roots against an
independent implementation written here from the RFC's definitions and against the
certificate-transparency test vectors; every inclusion and consistency proof of small trees
verifies, and any change to a proof, a leaf or a root is refused."""

from __future__ import annotations

import hashlib

import pytest

from shared.ledger.merkle import (
    ProofError,
    RootBuilder,
    TreeHasher,
    consistency_proof,
    inclusion_proof,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

SHA256 = TreeHasher(lambda data: hashlib.sha256(data).digest())


def mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, as written there (recursive, on the entries)."""
    n = len(entries)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


# The leaves and roots of the certificate-transparency project's Merkle tree tests
# (RFC 6962, whose tree RFC 9162 keeps).
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]
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


def leaves_of(entries: list[bytes]) -> list[bytes]:
    return [SHA256.leaf(e) for e in entries]


def test_roots_are_the_rfcs_for_the_certificate_transparency_vectors():
    assert tree_root(SHA256, []) == hashlib.sha256(b"").digest()
    for n, expected in enumerate(CT_ROOTS, 1):
        assert tree_root(SHA256, leaves_of(CT_LEAVES[:n])).hex() == expected
        assert mth(CT_LEAVES[:n]).hex() == expected


def test_a_root_built_while_the_leaves_stream_is_the_recursive_definitions():
    entries = [f"event {i}".encode() for i in range(300)]
    builder = RootBuilder(SHA256)
    for n, entry in enumerate(entries, 1):
        builder.append(SHA256.leaf(entry))
        if n < 70 or n in (127, 128, 129, 255, 256, 257, 300):
            assert builder.root() == mth(entries[:n]), n


def test_every_inclusion_proof_of_small_trees_verifies_and_a_changed_one_does_not():
    for n in range(1, 20):
        entries = [bytes([i]) * (i % 3 + 1) for i in range(n)]
        leaves, root = leaves_of(entries), mth(entries)
        for m in range(n):
            proof = inclusion_proof(SHA256, leaves, m)
            verify_inclusion(SHA256, m, n, leaves[m], proof, root)
            with pytest.raises(ProofError):
                verify_inclusion(SHA256, m, n, SHA256.leaf(b"forged"), proof, root)
            if proof:
                bent = [*proof[:-1], bytes(32)]
                with pytest.raises(ProofError):
                    verify_inclusion(SHA256, m, n, leaves[m], bent, root)
                with pytest.raises(ProofError):
                    verify_inclusion(SHA256, m, n, leaves[m], proof[:-1], root)
            if n > 1:
                with pytest.raises(ProofError):
                    verify_inclusion(SHA256, (m + 1) % n, n, leaves[m], proof, root)


def test_every_consistency_proof_of_small_trees_verifies_and_a_rewritten_history_does_not():
    for n in range(1, 20):
        entries = [f"{i}".encode() for i in range(n)]
        leaves = leaves_of(entries)
        for m in range(1, n + 1):
            proof = consistency_proof(SHA256, leaves, m)
            verify_consistency(SHA256, m, n, mth(entries[:m]), mth(entries), proof)
            if m < n:
                rewritten = mth([b"rewritten", *entries[1:m]])
                with pytest.raises(ProofError):
                    verify_consistency(SHA256, m, n, rewritten, mth(entries), proof)
                with pytest.raises(ProofError):
                    verify_consistency(SHA256, m, n, mth(entries[:m]), mth(entries), [])


def test_proofs_asked_outside_the_tree_are_refused():
    leaves = leaves_of([b"a", b"b"])
    with pytest.raises(ProofError):
        inclusion_proof(SHA256, leaves, 2)
    with pytest.raises(ProofError):
        consistency_proof(SHA256, leaves, 3)
    with pytest.raises(ProofError):
        verify_inclusion(SHA256, 2, 2, leaves[0], [], tree_root(SHA256, leaves))
