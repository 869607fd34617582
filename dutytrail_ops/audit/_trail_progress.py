"""A progress bar on stderr for ``audit trail`` and ``audit replay``: shown on a terminal, or
when ``--progress`` asks for it; never on stdout, so ``--json`` output stays clean."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


class Bar:
    """Steps of known total; :meth:`reach` moves the bar to a step."""

    def __init__(self, bar: Any | None) -> None:
        self._bar = bar
        self._at = 0

    def reach(self, step: int) -> None:
        if self._bar is not None and step > self._at:
            self._bar.update(step - self._at)
            self._at = step


@contextmanager
def bar(label: str, length: int, wanted: bool, *, percent: bool = False) -> Iterator[Bar]:
    """A bar of ``length`` steps (``percent``: the steps are per cent of the work)."""
    if not (wanted or sys.stderr.isatty()) or length <= 0:
        yield Bar(None)
        return
    if not sys.stderr.isatty():
        # click draws no bar off a terminal: one line per step instead, when it is done.
        counted = Bar(None)
        yield counted
        click.echo(f"{label} {'100%' if percent else f'{length}/{length}'}", err=True)
        return
    with click.progressbar(length=length, label=label, file=sys.stderr,
                           show_pos=not percent, show_percent=True) as shown:
        yield Bar(shown)
