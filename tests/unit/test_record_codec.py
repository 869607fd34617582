"""Read-model records survive the trip to a stored row and back exactly (shared/record_codec.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from shared.record_codec import RecordCodec


@dataclass
class Letter:
    letter_id: UUID
    signed_at: datetime | None
    clauses: list[dict[str, str]]
    by_day: dict[tuple[date, str], datetime] = field(default_factory=dict)
    readers: set[UUID] = field(default_factory=set)
    derived: int = field(default=0, init=False)


@dataclass
class Unregistered:
    name: str


def test_a_record_with_uuids_times_tuples_sets_and_keyed_maps_comes_back_equal():
    codec = RecordCodec([Letter])
    letter = Letter(uuid4(), datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
                    [{"text": "资金拨付全程留痕", "risk_point": "资金拨付"}],
                    {(date(2025, 3, 3), "inspection"): datetime(2025, 3, 3, tzinfo=UTC)},
                    {uuid4(), uuid4()})
    letter.derived = 7
    back = codec.decode(codec.encode(letter))
    assert back == letter and back.derived == 7
    assert type(back.by_day) is dict and type(back.readers) is set
    keyed: dict[Any, Any] = {letter.letter_id: [letter], (1, 2): frozenset({"a"}),
                             "$u": "a key that looks like a tag", "paid": Decimal("1234.50")}
    back_keyed = codec.decode(codec.encode(keyed))
    assert back_keyed == keyed
    assert str(back_keyed["paid"]) == "1234.50"  # a decimal keeps its exact digits


def test_equal_records_are_the_same_text_whatever_the_order_of_their_sets():
    codec = RecordCodec([Letter])
    ids = [uuid4() for _ in range(5)]
    one = Letter(ids[0], None, [], readers=set(ids))
    other = Letter(ids[0], None, [], readers=set(reversed(ids)))
    assert codec.encode(one) == codec.encode(other)


def test_only_the_read_models_own_record_classes_are_stored_or_rebuilt():
    codec = RecordCodec([Letter])
    with pytest.raises(TypeError, match="not a record class"):
        codec.encode(Unregistered("x"))
    with pytest.raises(ValueError, match="unknown record class"):
        codec.decode('{"$record": "Unregistered", "fields": {"name": "x"}}')
    with pytest.raises(TypeError, match="cannot store"):
        codec.encode(object())


@dataclass
class Checked:
    amount: int

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError("a negative amount")


def test_a_record_whose_class_checks_its_fields_is_checked_again_when_read():
    codec = RecordCodec([Checked])
    assert codec.decode(codec.encode(Checked(5))) == Checked(5)
    with pytest.raises(ValueError, match="a negative amount"):
        codec.decode('{"$record":"Checked","fields":{"amount":-1}}')


def test_an_id_in_a_row_that_is_not_a_uuid_is_refused_and_one_row_spaced_out_still_reads():
    codec = RecordCodec([Letter])
    with pytest.raises(ValueError):
        codec.decode('{"$u":"not-a-uuid-but-36-characters-long-xx"}')
    some = uuid4()
    assert codec.decode(f'  {{ "$u" : "{some}" }}  ') == some
    assert codec.decode(f'{{"$u":"{str(some).upper()}"}}') == some
