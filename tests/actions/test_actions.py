"""The custom actions send the knowledge module's answers, in context."""

import asyncio

from actions.actions import ActionAnswer, ActionFollowupCheckin, ActionRedFlag


def run(action, dispatcher, tracker, domain):
    return asyncio.run(action.run(dispatcher, tracker, domain))


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_answers_a_question_with_source_and_follow_up_buttons(
    dispatcher, make_tracker, domain, knowledge
):
    events = run(ActionAnswer(), dispatcher, make_tracker("ask_why_not_extract"), domain)
    [message] = dispatcher.messages
    assert "space" in message["text"].lower()
    assert "Source" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == [
        f'/ask_topic{{"topic":"{t}"}}' for t in knowledge.entries["why_not_extract"].related
    ]
    assert slot_events(events) == {"last_topic": "why_not_extract"}


def test_definition_follows_the_procedure_in_context(dispatcher, make_tracker, domain):
    run(
        ActionAnswer(),
        dispatcher,
        make_tracker("ask_definition", slots={"procedure": "pulpectomy"}),
        domain,
    )
    assert "all" in dispatcher.messages[0]["text"].lower()  # all of the pulp, roots included
    assert "pulpectomy" in dispatcher.messages[0]["text"].lower()


def test_what_does_that_mean_without_context_asks_which_treatment(
    dispatcher, make_tracker, domain, knowledge
):
    run(ActionAnswer(), dispatcher, make_tracker("ask_definition"), domain)
    assert dispatcher.messages[0]["text"] == knowledge.reply("ask_which_procedure").text


def test_the_other_one_switches_procedure(dispatcher, make_tracker, domain):
    events = run(
        ActionAnswer(),
        dispatcher,
        make_tracker("ask_other_procedure", slots={"procedure": "pulpotomy"}),
        domain,
    )
    assert "pulpectomy" in dispatcher.messages[0]["text"].lower()
    assert slot_events(events)["procedure"] == "pulpectomy"


def test_pain_and_recovery_answer_for_the_procedure(dispatcher, make_tracker, domain):
    run(
        ActionAnswer(),
        dispatcher,
        make_tracker("ask_pain", slots={"procedure": "pulpotomy"}),
        domain,
    )
    run(
        ActionAnswer(),
        dispatcher,
        make_tracker("ask_recovery", slots={"procedure": "pulpectomy"}),
        domain,
    )
    pain, recovery = (m["text"].lower() for m in dispatcher.messages)
    assert "pulpotomy" in pain
    assert "x-ray" in recovery  # pulpectomy recovery mentions follow-up X-rays


def test_button_payload_topic_is_answered(dispatcher, make_tracker, domain, knowledge):
    tracker = make_tracker("ask_topic", entities=[{"entity": "topic", "value": "crown"}])
    events = run(ActionAnswer(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == knowledge.reply("crown").text
    assert slot_events(events)["last_topic"] == "crown"


def test_button_for_a_procedure_topic_sets_the_context(dispatcher, make_tracker, domain):
    tracker = make_tracker("ask_topic", entities=[{"entity": "topic", "value": "steps_pulpectomy"}])
    events = run(ActionAnswer(), dispatcher, tracker, domain)
    assert slot_events(events)["procedure"] == "pulpectomy"


def test_tell_me_more_offers_related_topics(dispatcher, make_tracker, domain, knowledge):
    tracker = make_tracker("ask_topic", slots={"last_topic": "crown"})
    run(ActionAnswer(), dispatcher, tracker, domain)
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == [knowledge.entries[t].title for t in knowledge.entries["crown"].related]


def test_unknown_button_topic_falls_back_to_more(dispatcher, make_tracker, domain):
    tracker = make_tracker("ask_topic", entities=[{"entity": "topic", "value": "nope"}])
    run(ActionAnswer(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["buttons"]


def test_bad_input_gets_its_own_reply(dispatcher, make_tracker, domain, knowledge):
    for issue, topic in knowledge.routes["input_issues"].items():
        dispatcher.messages.clear()
        intent = "out_of_scope" if issue == "other_language" else "nlu_fallback"
        tracker = make_tracker(intent, entities=[{"entity": "input_issue", "value": issue}])
        run(ActionAnswer(), dispatcher, tracker, domain)
        assert dispatcher.messages[0]["text"] == knowledge.reply(topic).text


def test_fallback_offers_main_topics_and_the_phone(dispatcher, make_tracker, domain, knowledge):
    run(ActionAnswer(), dispatcher, make_tracker("nlu_fallback"), domain)
    message = dispatcher.messages[0]
    assert knowledge.practice["phone"] in message["text"]
    assert len(message["buttons"]) >= 2


def test_contact_uses_the_practice_settings(dispatcher, make_tracker, domain, knowledge):
    run(ActionAnswer(), dispatcher, make_tracker("contact_practice"), domain)
    text = dispatcher.messages[0]["text"]
    for key in ("phone", "hours", "booking_url"):
        assert str(knowledge.practice[key]) in text


def test_red_flag_emergency_sends_to_911(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "report_red_flag", entities=[{"entity": "red_flag", "value": "emergency"}]
    )
    run(ActionRedFlag(), dispatcher, tracker, domain)
    assert "911" in dispatcher.messages[0]["text"]
    assert "emergency room" in dispatcher.messages[0]["text"]


def test_red_flag_urgent_sends_to_the_phone_now(dispatcher, make_tracker, domain, knowledge):
    tracker = make_tracker("report_red_flag", entities=[{"entity": "red_flag", "value": "urgent"}])
    run(ActionRedFlag(), dispatcher, tracker, domain)
    text = dispatcher.messages[0]["text"]
    assert knowledge.practice["phone"] in text and knowledge.practice["after_hours"] in text
    assert "now" in text


def test_red_flag_without_severity_is_treated_as_urgent(
    dispatcher, make_tracker, domain, knowledge
):
    run(ActionRedFlag(), dispatcher, make_tracker("report_red_flag"), domain)
    assert dispatcher.messages[0]["text"] == knowledge.reply("red_flag_urgent").text


def test_a_sign_with_its_own_answer_gets_it(dispatcher, make_tracker, domain, knowledge):
    tracker = make_tracker("report_red_flag", entities=[{"entity": "red_flag", "value": "urgent"}])
    tracker.latest_message["red_flags"] = ["loose_crown", "fever"]
    run(ActionRedFlag(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"] == knowledge.reply("crown_loose").text
    assert not dispatcher.messages[0].get("buttons")  # no "more on this" after a red flag


def test_a_more_serious_sign_outranks_a_signs_own_answer(dispatcher, make_tracker, domain):
    tracker = make_tracker(
        "report_red_flag", entities=[{"entity": "red_flag", "value": "emergency"}]
    )
    tracker.latest_message["red_flags"] = ["crown_in_airway", "loose_crown"]
    run(ActionRedFlag(), dispatcher, tracker, domain)
    assert dispatcher.messages[0]["text"].startswith("Your child may need help fast")


def test_every_action_in_the_domain_exists(domain):
    names = {ActionAnswer().name(), ActionRedFlag().name(), ActionFollowupCheckin().name()}
    assert set(domain["actions"]) == names
