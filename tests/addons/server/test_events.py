"""since_last: the tail of a conversation from its latest event of a kind."""

from collections import deque

from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from addons.server.events import since_last


def test_the_tail_from_the_latest_event_of_that_kind():
    events = deque(
        [
            SessionStarted(),
            UserUttered("hi"),
            BotUttered("hello"),
            UserUttered("will it hurt"),
            ActionExecuted("action_answer"),
        ]
    )
    tail = since_last(events, UserUttered)
    assert [type(e).__name__ for e in tail] == ["UserUttered", "ActionExecuted"]
    assert tail[0].text == "will it hurt"
    assert since_last(events, SessionStarted) == list(events)


def test_all_events_when_there_is_none_of_that_kind():
    events = [ActionExecuted("action_listen"), BotUttered("hello")]
    assert since_last(events, UserUttered) == events
    assert since_last([], UserUttered) == []
