"""The relays' leader lock (shared/leadership.py) on both stores: one holder at a time, free
again the moment its holder lets go, and a holder that lost its session knows it."""

from __future__ import annotations

import time

from shared.leadership import AlwaysLeader, leader_lock
from shared.persistence import store_environment


def test_one_candidate_holds_the_lock_until_it_lets_go(any_store):
    env = store_environment("responsibility", any_store)
    first, second = leader_lock("responsibility", env), leader_lock("responsibility", env)
    assert not isinstance(first, AlwaysLeader)
    try:
        assert first.try_acquire()
        assert first.try_acquire()  # taking it again is holding it
        assert not second.try_acquire()
        assert first.still_held() and not second.still_held()
        # Another service's relays have a lock of their own.
        other = leader_lock("supervision", store_environment("supervision", any_store))
        assert other.try_acquire()
        other.release()
        first.release()
        assert not first.still_held()
        assert second.try_acquire() and second.still_held()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_leader_whose_database_session_ended_steps_down_and_the_lock_is_free(postgres_store):
    import shared.leadership as leadership

    env = store_environment("responsibility", postgres_store)
    leader, standby = leader_lock("responsibility", env), leader_lock("responsibility", env)
    try:
        assert leader.try_acquire()
        assert isinstance(leader, leadership.PostgresLeaderLock)
        leader._connection.close()  # the session ends, as when the process is killed
        leader._checked_at = 0.0
        assert not leader.still_held()
        # The server ends the closed session (and frees its locks) on its own time, a few
        # milliseconds later, or more on a loaded machine: a standby asks again, as a
        # standby relay does every poll.
        deadline = time.monotonic() + 10
        while not standby.try_acquire():
            assert time.monotonic() < deadline, "the lock of a closed session stayed taken"
            time.sleep(0.05)
    finally:
        leader.release()
        standby.release()
