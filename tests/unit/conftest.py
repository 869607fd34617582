"""Fixtures the unit tests share. ``app`` is casework's application in memory; the files that
test another application define an ``app`` of their own, which takes precedence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.casework.application import Casework
from services.casework.settings import CaseworkSettings
from tests.unit.casework_support import IN_MEMORY


@pytest.fixture
def app() -> Iterator[Casework]:
    application = Casework(IN_MEMORY, CaseworkSettings())
    yield application
    application.close()
