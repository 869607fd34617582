"""Progress of the auditors' long commands: a bar on stderr when it is a terminal or when
``--progress`` asks for one; nothing on stdout, so ``--json`` output stays clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

STEP = 1000  # positions between two redraws


class Progress:
    def __init__(self, bar: Any | None) -> None:
        self._bar = bar
        self._at = 0

    def reach(self, position: int) -> None:
        """The work has reached ``position`` (of the bar's length)."""
        if self._bar is not None and position - self._at >= STEP:
            self._bar.update(position - self._at)
            self._at = position


@contextmanager
def progress(label: str, length: int, wanted: bool) -> Iterator[Progress]:
    if not (wanted or sys.stderr.isatty()) or length <= 0:
        yield Progress(None)
        return
    with click.progressbar(length=length, label=label, file=sys.stderr,
                           show_pos=True) as bar:
        yield Progress(bar)
