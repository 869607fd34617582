"""Merkle trees exactly as RFC 9162 §2.1 builds them, over any hash of the suite.

- leaf hash ``HASH(0x00 || leaf)``, node hash ``HASH(0x01 || left || right)``, the empty
  tree's root ``HASH()``;
- :class:`RootBuilder` computes a root while the leaves stream past, holding one hash per
  level (memory grows with log2 of the size, not with the size);
- inclusion proofs (§2.1.3) and consistency proofs (§2.1.4), made from the leaf hashes and
  verified with the RFC's own algorithms, so that any implementation of the RFC accepts them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Hash = Callable[[bytes], bytes]

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


class ProofError(ValueError):
    """A proof that does not prove what it claims (or is malformed)."""


@dataclass(frozen=True)
class TreeHasher:
    hash: Hash

    def empty(self) -> bytes:
        return self.hash(b"")

    def leaf(self, data: bytes) -> bytes:
        return self.hash(LEAF_PREFIX + data)

    def node(self, left: bytes, right: bytes) -> bytes:
        return self.hash(NODE_PREFIX + left + right)


class RootBuilder:
    """The root of a tree whose leaf hashes are appended one by one.

    It keeps the roots of the perfect subtrees the leaves so far decompose into, largest
    first (one per binary digit 1 of the size); the tree's root folds them from the right,
    which is the RFC's split at the largest power of two below the size, applied again and
    again. Appending merges as many subtrees as the size has trailing ones.
    """

    def __init__(self, hasher: TreeHasher) -> None:
        self.hasher = hasher
        self.size = 0
        self._stack: list[bytes] = []

    def append(self, leaf_hash: bytes) -> None:
        stack, node, size = self._stack, self.hasher.node, self.size
        while size & 1:
            leaf_hash = node(stack.pop(), leaf_hash)
            size >>= 1
        stack.append(leaf_hash)
        self.size += 1

    def frontier(self) -> list[bytes]:
        """The roots of the perfect subtrees so far, largest first: with the size, all that
        is needed to go on appending later (:meth:`resume`)."""
        return list(self._stack)

    @classmethod
    def resume(cls, hasher: TreeHasher, size: int, frontier: Sequence[bytes]) -> RootBuilder:
        """A builder that goes on from ``size`` leaves whose :meth:`frontier` was given."""
        if size < 0 or bin(size).count("1") != len(frontier):
            raise ProofError(f"a frontier of a tree of {size} has {bin(size).count('1')} hashes")
        builder = cls(hasher)
        builder.size = size
        builder._stack = list(frontier)
        return builder

    def copy(self) -> RootBuilder:
        return RootBuilder.resume(self.hasher, self.size, self.frontier())

    def root(self) -> bytes:
        if not self._stack:
            return self.hasher.empty()
        current = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            current = self.hasher.node(left, current)
        return current


def tree_root(hasher: TreeHasher, leaf_hashes: Iterable[bytes]) -> bytes:
    builder = RootBuilder(hasher)
    for leaf_hash in leaf_hashes:
        builder.append(leaf_hash)
    return builder.root()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two k with k < n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _subtree(hasher: TreeHasher, leaves: Sequence[bytes], start: int, end: int) -> bytes:
    return tree_root(hasher, leaves[start:end])


def inclusion_proof(hasher: TreeHasher, leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1 for leaf ``index`` of the tree of ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of {len(leaves)}")

    def path(m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _largest_power_of_two_below(n)
        if m < k:
            return [*path(m, start, start + k), _subtree(hasher, leaves, start + k, end)]
        return [*path(m - k, start + k, end), _subtree(hasher, leaves, start, start + k)]

    return path(index, 0, len(leaves))


def consistency_proof(
    hasher: TreeHasher, leaves: Sequence[bytes], first_size: int
) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 §2.1.4.1 between the first ``first_size`` leaves and all."""
    n = len(leaves)
    if not 0 < first_size <= n:
        raise ProofError(f"no consistency proof from size {first_size} to size {n}")

    def subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
        size = end - start
        if m == size:
            return [] if whole else [_subtree(hasher, leaves, start, end)]
        k = _largest_power_of_two_below(size)
        if m <= k:
            return [*subproof(m, start, start + k, whole), _subtree(hasher, leaves, start + k, end)]
        return [*subproof(m - k, start + k, end, False), _subtree(hasher, leaves, start, start + k)]

    return subproof(first_size, 0, n, True)


def verify_inclusion(
    hasher: TreeHasher, index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes],
    root: bytes,
) -> None:
    """RFC 9162 §2.1.3.2; raises :class:`ProofError` unless the proof holds."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = hasher.node(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = hasher.node(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("the inclusion proof leads to another root")


def verify_consistency(
    hasher: TreeHasher, first_size: int, second_size: int, first_root: bytes,
    second_root: bytes, proof: Sequence[bytes],
) -> None:
    """RFC 9162 §2.1.4.2; raises :class:`ProofError` unless the proof holds."""
    if first_size == second_size:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if first_root != second_root:
            raise ProofError("two trees of one size with different roots")
        return
    if not 0 < first_size < second_size:
        raise ProofError(f"no consistency from size {first_size} to size {second_size}")
    if not proof:
        raise ProofError("an empty consistency proof")
    path = list(proof)
    if first_size & (first_size - 1) == 0:  # a power of two: the first root starts the path
        path.insert(0, first_root)
    fn, sn = first_size - 1, second_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = hasher.node(c, fr), hasher.node(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = hasher.node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != first_root:
        raise ProofError("the consistency proof does not lead to the first root")
    if sr != second_root:
        raise ProofError("the consistency proof does not lead to the second root")
