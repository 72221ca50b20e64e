"""Two Rasa servers taking messages of one conversation at the same moment get
different tickets from the shared Redis lock store, and finishing a ticket
never drops another server's."""

import threading

import pytest

from addons.server.stores import EnvLockStore

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_servers(redis_server, monkeypatch):
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    stores = EnvLockStore(), EnvLockStore()  # one lock store per Rasa server
    yield stores
    for conversation in ("parent-race", "parent-finish"):  # Redis is shared by the session
        stores[0].delete_lock(conversation)


def race(stores, work, rounds):
    """Runs work(store, n) from 8 threads (4 per server) at once."""
    start = threading.Barrier(8)
    results, errors = [], []

    def run(store):
        start.wait()
        try:
            for n in range(rounds):
                results.append(work(store, n))
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(stores[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_tickets_issued_at_the_same_moment_are_all_different(two_servers):
    tickets = race(two_servers, lambda store, n: store.issue_ticket("parent-race", 60), 25)
    assert len(tickets) == 200
    assert len(set(tickets)) == 200  # no two messages hold the same ticket
    lock = two_servers[0].get_lock("parent-race")
    assert len(lock.tickets) == 200  # and none was overwritten


def test_finishing_a_ticket_keeps_the_tickets_issued_meanwhile(two_servers):
    a, b = two_servers
    serving = a.issue_ticket("parent-finish", 60)
    waiting = b.issue_ticket("parent-finish", 60)  # so the lock is never deleted

    def work(store, n):
        if store is a and n == 0 and serving not in done:
            done.append(serving)
            store.cleanup("parent-finish", serving)  # server A finishes its message...
            return None
        return store.issue_ticket("parent-finish", 60)  # ...while new ones arrive

    done = []
    issued = [t for t in race(two_servers, work, 10) if t is not None]
    lock = b.get_lock("parent-finish")
    assert sorted(t.number for t in lock.tickets) == sorted([waiting, *issued])
