"""The supervision service's knobs come from the environment, read in one place."""

from __future__ import annotations

import pytest

from services.supervision.domain import QuarterlyReporting, WarningDays
from services.supervision.settings import SupervisionSettings

VARIABLES = (
    "DUTYTRAIL_NOTICE_WARNING_DAYS", "DUTYTRAIL_QUARTERLY_REPORT_GRACE_DAYS",
    "DUTYTRAIL_QUARTERLY_REPORT_UNIT_KINDS", "DUTYTRAIL_BULLETIN_NUMBERING_ATTEMPTS",
    "DUTYTRAIL_COMMISSION_UNIT_CODE",
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_with_nothing_set_the_defaults_apply(environ):
    settings = SupervisionSettings.from_environ()
    assert settings == SupervisionSettings()
    assert settings.warning == WarningDays(blue=7, yellow=3)
    assert settings.reporting == QuarterlyReporting(
        unit_kinds=("district_department", "town", "subdistrict"), grace_days=10)
    assert settings.reporting.commission_unit_code == ""  # no unit exempt unless named
    assert settings.numbering_attempts == 10


def test_every_knob_is_read_from_its_variable(environ):
    environ.setenv("DUTYTRAIL_NOTICE_WARNING_DAYS", "10,5")
    environ.setenv("DUTYTRAIL_QUARTERLY_REPORT_GRACE_DAYS", "15")
    environ.setenv("DUTYTRAIL_QUARTERLY_REPORT_UNIT_KINDS", "town, community")
    environ.setenv("DUTYTRAIL_BULLETIN_NUMBERING_ATTEMPTS", "3")
    environ.setenv("DUTYTRAIL_COMMISSION_UNIT_CODE", " D01 ")
    settings = SupervisionSettings.from_environ()
    assert settings.warning == WarningDays(blue=10, yellow=5)
    assert settings.reporting == QuarterlyReporting(unit_kinds=("town", "community"),
                                                    grace_days=15, commission_unit_code="D01")
    assert settings.numbering_attempts == 3


@pytest.mark.parametrize(("name", "value", "match"), [
    ("DUTYTRAIL_NOTICE_WARNING_DAYS", "3,7", "blue > yellow"),
    ("DUTYTRAIL_NOTICE_WARNING_DAYS", "7", "blue,yellow"),
    ("DUTYTRAIL_QUARTERLY_REPORT_UNIT_KINDS", "town,village", "village"),
    ("DUTYTRAIL_BULLETIN_NUMBERING_ATTEMPTS", "0", ">= 1"),
])
def test_a_wrong_value_is_refused_naming_it(environ, name, value, match):
    environ.setenv(name, value)
    with pytest.raises(ValueError, match=match):
        SupervisionSettings.from_environ()
