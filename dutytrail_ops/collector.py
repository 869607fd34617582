"""The cyclic garbage collector in a long-running process.

A full (generation 2) collection walks every tracked object in the process: in a service that
is mostly what its imports made (nameko, kombu, pydantic, eventsourcing, the contracts), and a
walk took 60-65 ms here. Under eventlet nothing else runs meanwhile, so such a collection
held up a ``ping`` (or a relay's publishing) well past the 50 ms bound, a few times a minute
under queries (bench/README.md, "Read models in the store"). Objects made before the process
starts its work live as long as it does; frozen, the collector no longer walks them, and a
full collection costs what the process made since.
"""

from __future__ import annotations

import gc


def freeze_what_startup_made() -> int:
    """Collect once, then move every object that survived into the collector's permanent
    generation; returns how many objects it holds. Call once, after start-up."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
