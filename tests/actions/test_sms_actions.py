"""By SMS (input channel `twilio`) the actions send the short answer, MORE the long
one, and staff's check-in names the practice and the procedure."""

import asyncio

from rasa_sdk import Tracker

from actions.actions import ActionAnswer, ActionFollowupCheckin, ActionRedFlag


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def sms_tracker(
    intent, entities=None, slots=None, channel="twilio", metadata=None, ranking=None, text=""
):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 1.0},
        "entities": entities or [],
        "metadata": metadata or {},
        "intent_ranking": ranking or [{"name": intent, "confidence": 1.0}],
    }
    return Tracker(
        sender_id="+15551234567",
        slots=dict(slots or {}),
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest, "input_channel": channel}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def test_by_sms_a_question_gets_the_short_answer_with_numbered_choices(
    dispatcher, domain, knowledge
):
    events = run(ActionAnswer(), dispatcher, sms_tracker("ask_why_not_extract"), domain)
    [message] = dispatcher.messages
    reply = knowledge.reply("why_not_extract")
    assert message["text"] == reply.sms
    assert "Source" not in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [p for _, p in reply.buttons]
    # the connector offers MORE, in the reply's language
    assert message["custom"] == {"sms": {"more": True, "language": "en"}}
    assert slot_events(events) == {"last_topic": "why_not_extract"}


def test_other_channels_still_get_the_chat_answer(dispatcher, domain, knowledge):
    run(ActionAnswer(), dispatcher, sms_tracker("ask_why_not_extract", channel="rest"), domain)
    assert dispatcher.messages[0]["text"] == knowledge.reply("why_not_extract").text


def test_more_by_sms_sends_the_longer_answer_to_the_last_topic(dispatcher, domain, knowledge):
    tracker = sms_tracker("ask_topic", slots={"last_topic": "crown", "procedure": "pulpotomy"})
    events = run(ActionAnswer(), dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == knowledge.reply("crown", "pulpotomy").long_text
    assert not message["buttons"] and events == []


def test_more_by_sms_without_a_topic_offers_topics(dispatcher, domain, knowledge):
    run(ActionAnswer(), dispatcher, sms_tracker("ask_topic"), domain)
    assert dispatcher.messages[0]["text"] == knowledge.more_reply(None).sms
    assert dispatcher.messages[0]["buttons"]


def test_a_red_flag_by_sms_is_the_short_call_now_text(dispatcher, domain, knowledge):
    tracker = sms_tracker(
        "report_red_flag", entities=[{"entity": "red_flag", "value": "emergency"}]
    )
    run(ActionRedFlag(), dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == knowledge.reply("red_flag_emergency").sms and "911" in message["text"]
    assert message["custom"] == {"sms": {"language": "en"}}  # no "Reply MORE" under a red flag


def test_check_in_names_the_practice_and_procedure_and_offers_three_choices(
    dispatcher, domain, knowledge
):
    tracker = sms_tracker(
        "EXTERNAL_followup",
        channel=None,
        metadata={"is_external": True},
        entities=[{"entity": "procedure", "value": "pulpotomy"}],
        text="EXTERNAL: EXTERNAL_followup",
    )
    events = run(ActionFollowupCheckin(), dispatcher, tracker, domain)
    [message] = dispatcher.messages
    text = message["text"]
    assert knowledge.practice["name"] in text and "a pulpotomy" in text
    assert "Reply 1 doing well, 2 sore, 3 swelling or fever." in text
    assert "Reply STOP to opt out." in text
    assert len(text) <= 300
    assert message["custom"] == {"sms": {"choices_in_text": True, "language": "en"}}
    assert [b["payload"] for b in message["buttons"]] == [
        '/ask_topic{"topic":"followup_well"}',
        '/ask_topic{"topic":"followup_sore"}',
        '/ask_topic{"topic":"red_flag_urgent"}',
    ]
    assert slot_events(events) == {"last_topic": "followup_checkin"}


def test_check_in_for_a_pulpectomy(dispatcher, domain):
    tracker = sms_tracker(
        "EXTERNAL_followup", metadata={"is_external": True}, slots={"procedure": "pulpectomy"}
    )
    run(ActionFollowupCheckin(), dispatcher, tracker, domain)
    assert "a pulpectomy" in dispatcher.messages[0]["text"]


def test_a_parents_words_classified_as_the_check_in_are_answered_instead(
    dispatcher, domain, knowledge
):
    tracker = sms_tracker(
        "EXTERNAL_followup",
        text="when is the follow up",
        ranking=[
            {"name": "EXTERNAL_followup", "confidence": 0.5},
            {"name": "ask_recovery", "confidence": 0.3},
        ],
    )
    run(ActionFollowupCheckin(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == knowledge.reply("recovery").sms


def test_the_three_check_in_answers_fit_one_sms_and_say_when_to_call(knowledge):
    well, sore, urgent = (knowledge.reply(t) for t in knowledge.entries["followup_checkin"].related)
    phone = knowledge.practice["phone"]
    assert "soft" in well.sms and phone in well.sms
    assert all(w in sore.sms.lower() for w in ("1 to 2 days", "soft", "label", "acetaminophen"))
    assert phone in sore.sms
    assert "now" in urgent.sms and "911" in urgent.sms and phone in urgent.sms
    for reply in (well, sore, urgent):
        assert len(reply.sms) <= 300
    assert well.source_line and sore.source_line  # clinical advice is cited


def test_sms_texts_hold_only_practice_and_procedure_details(knowledge):
    # No child's name or health detail can reach an SMS: the texts have no slot for one.
    from knowledge.loader import SAFETY, _placeholders

    allowed = {"practice_name", "procedure_name", "phone", "after_hours", "hours"}
    for entry in knowledge.entries.values():
        if entry.file == "sms.yml":  # {safety:...} renders the table's words only
            assert set(_placeholders(SAFETY.sub("", entry.sms))) <= allowed, entry.id


def test_the_red_flag_choice_of_a_check_in_has_no_more_offer(dispatcher, domain, knowledge):
    tracker = sms_tracker("ask_topic", entities=[{"entity": "topic", "value": "red_flag_urgent"}])
    run(ActionAnswer(), dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["text"] == knowledge.reply("red_flag_urgent").sms
    assert message["custom"] == {"sms": {"language": "en"}}  # no MORE offered
