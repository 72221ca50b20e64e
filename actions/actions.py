"""Rasa SDK actions: thin wrappers that ask the knowledge module and send its reply.

The knowledge is loaded and validated once, when the action server imports this
module; a content error stops the server at start-up with the file and entry named.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import callbacks
from common.language import SLOT as LANGUAGE
from common.language import Detection, conversation_language, picked, reply_language
from common.names import (
    ACTION_ANSWER,
    ACTION_FOLLOWUP,
    ACTION_RED_FLAG,
    BUTTON_INTENT,
    CALLBACK_STEP,
    CHANNEL_SMS,
    CHANNEL_WEB,
    FALLBACK_INTENT,
    FOLLOWUP_INTENT,
    INPUT_ISSUE,
    LAST_TOPIC,
    PROCEDURE,
    RED_FLAG,
    TOPIC,
)
from common.settings import current
from knowledge import Knowledge, Reply, load_knowledge

logger = logging.getLogger(__name__)

KNOWLEDGE: Knowledge = load_knowledge(practice_file=current().practice_file)


def _entity(tracker: Tracker, name: Text) -> Optional[Text]:
    return next(tracker.get_latest_entity_values(name), None)


LANGUAGE_SWITCHED = "language_switched"  # the reply to "español" / "in English please"


def languages(tracker: Tracker) -> Tuple[Optional[Text], Text]:
    """(the conversation's language after this message, the language to answer in)."""
    # A conversation without a language yet takes the one picked in the widget.
    current = tracker.get_slot(LANGUAGE) or picked(tracker.latest_message.get("metadata"))
    found = Detection.from_message(tracker.latest_message)
    return conversation_language(current, found), reply_language(current, found)


def language_events(tracker: Tracker) -> List[EventType]:
    decided, _ = languages(tracker)
    return [SlotSet(LANGUAGE, decided)] if decided and decided != tracker.get_slot(LANGUAGE) else []


def send(
    dispatcher: CollectingDispatcher,
    reply: Reply,
    channel: Optional[Text] = None,
    offer_more: bool = True,
    language: Optional[Text] = None,
) -> List[EventType]:
    buttons = [{"title": title, "payload": payload} for title, payload in reply.buttons]
    if channel == CHANNEL_SMS:
        # By SMS the short answer; the connector numbers the buttons and offers MORE,
        # in the reply's language.
        more = offer_more and bool(reply.source_line) and len(reply.long_text) > len(reply.sms) + 40
        options: Dict[Text, Any] = {"more": True} if more else {}
        if language:
            options["language"] = language
        dispatcher.utter_message(
            text=reply.sms, buttons=buttons, json_message={"sms": options} if options else None
        )
    elif channel == CHANNEL_WEB and language:
        # The widget shows its own labels in the reply's language.
        dispatcher.utter_message(
            text=reply.text, buttons=buttons, json_message={"language": language}
        )
    else:
        dispatcher.utter_message(text=reply.text, buttons=buttons)
    events: List[EventType] = [SlotSet(LAST_TOPIC, reply.topic)]
    if reply.procedure:
        events.append(SlotSet(PROCEDURE, reply.procedure))
    return events


class ActionAnswer(Action):
    """Answers every question intent from the knowledge module, in context."""

    def __init__(self, knowledge: Optional[Knowledge] = None) -> None:
        self.knowledge = knowledge or KNOWLEDGE

    def name(self) -> Text:
        return ACTION_ANSWER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return self.answer(
            dispatcher, tracker, tracker.latest_message.get("intent", {}).get("name")
        )

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[Text]
    ) -> List[EventType]:
        events = language_events(tracker)
        return events + self._answer(dispatcher, tracker, intent)

    def _answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: Optional[Text]
    ) -> List[EventType]:
        channel = tracker.get_latest_input_channel()
        _, language = languages(tracker)
        knowledge = self.knowledge.in_language(language)

        def reply(answer: Reply, offer_more: bool = True) -> List[EventType]:
            return send(dispatcher, answer, channel, offer_more, language)

        step = tracker.get_slot(CALLBACK_STEP)
        callback = callbacks.decide(
            intent=intent,
            topic=_entity(tracker, TOPIC),
            text=tracker.latest_message.get("text") or "",
            step=step,
            channel=channel,
            conversation_id=tracker.sender_id,
            language=language,
            practice=knowledge.practice,
        )
        if callback is not None:
            return callback.events + reply(knowledge.reply(callback.topic), offer_more=False)
        if step and intent != BUTTON_INTENT:
            # Anything else ends a pending callback request; it is answered as usual.
            return callbacks.clears_step(step) + self._answer_question(
                dispatcher, tracker, intent, knowledge, reply
            )
        return self._answer_question(dispatcher, tracker, intent, knowledge, reply)

    def _answer_question(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        intent: Optional[Text],
        knowledge: Knowledge,
        reply: Callable[..., List[EventType]],
    ) -> List[EventType]:
        procedure = tracker.get_slot(PROCEDURE)
        channel = tracker.get_latest_input_channel()
        _, language = languages(tracker)
        if intent == BUTTON_INTENT:
            topic = _entity(tracker, TOPIC)
            if topic in knowledge.entries:
                red_flag = topic in knowledge.red_flag_topics()
                return reply(knowledge.reply(topic, procedure), offer_more=not red_flag)
            last_topic = tracker.get_slot(LAST_TOPIC)
            if channel == CHANNEL_SMS and last_topic in knowledge.entries:
                # "MORE" by SMS: the longer answer; the connector sends it in up to 3 parts.
                dispatcher.utter_message(
                    text=knowledge.reply(last_topic, procedure).long_text,
                    json_message={"sms": {"language": language}},
                )
                return []
            return reply(knowledge.more_reply(last_topic))
        found = Detection.from_message(tracker.latest_message)
        if found and found.requested and found.words <= 4:
            # Only a language asked for ("español", "in English please"): say so in it.
            return reply(knowledge.reply(LANGUAGE_SWITCHED, procedure))
        issue = _entity(tracker, INPUT_ISSUE)
        topic = knowledge.input_issue_topic(issue) if issue else None
        topic = topic or knowledge.topic_for(intent, procedure)
        if topic is None:
            logger.warning("no answer routed for intent %r", intent)
            topic = knowledge.fallback_topic()
        return reply(knowledge.reply(topic, procedure))


class ActionRedFlag(Action):
    """Sends a parent whose child has a red-flag symptom to the phone or the ER."""

    def __init__(self, knowledge: Optional[Knowledge] = None) -> None:
        self.knowledge = knowledge or KNOWLEDGE

    def name(self) -> Text:
        return ACTION_RED_FLAG

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        severity = _entity(tracker, RED_FLAG)
        # The patterns that fired, most serious first (SafetyRouter's `red_flags`):
        # a sign with its own answer (a loose crown, a knocked-out tooth) gets it.
        signs = tracker.latest_message.get("red_flags") or []
        _, language = languages(tracker)
        knowledge = self.knowledge.in_language(language)
        topic = knowledge.red_flag_topic(severity, [str(s) for s in signs])
        return language_events(tracker) + send(
            dispatcher,
            # No suggestions under a red-flag reply: the next step is the phone.
            replace(knowledge.reply(topic), buttons=()),
            tracker.get_latest_input_channel(),
            offer_more=False,
            language=language,
        )


class ActionFollowupCheckin(Action):
    """Staff's SMS check-in after a procedure (intent EXTERNAL_followup, entity procedure).

    It names the practice and the procedure and offers 1 doing well, 2 sore,
    3 swelling or fever; the connector maps a reply of 1, 2 or 3 to those answers.
    """

    def __init__(self, knowledge: Optional[Knowledge] = None) -> None:
        self.knowledge = knowledge or KNOWLEDGE

    def name(self) -> Text:
        return ACTION_FOLLOWUP

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if not (tracker.latest_message.get("metadata") or {}).get("is_external"):
            # A parent's own words classified as the staff-only trigger: answer them
            # as the classifier's next guess would be answered.
            ranking = [
                r.get("name")
                for r in tracker.latest_message.get("intent_ranking") or []
                if r.get("name") != FOLLOWUP_INTENT
            ]
            return ActionAnswer(self.knowledge).answer(
                dispatcher, tracker, ranking[0] if ranking else FALLBACK_INTENT
            )
        procedure = _entity(tracker, PROCEDURE) or tracker.get_slot(PROCEDURE)
        # In the language the parent last used with the practice (the slot is kept
        # across sessions), English when they never wrote.
        language = tracker.get_slot(LANGUAGE) or None
        knowledge = self.knowledge.in_language(language)
        reply = knowledge.reply(
            knowledge.topic_for(FOLLOWUP_INTENT) or knowledge.fallback_topic(), procedure
        )
        # The numbered choices are spelled out in the text; the buttons carry their payloads.
        dispatcher.utter_message(
            text=reply.sms,
            json_message={"sms": {"choices_in_text": True, "language": knowledge.language}},
            buttons=[{"title": title, "payload": payload} for title, payload in reply.buttons],
        )
        return [SlotSet(LAST_TOPIC, reply.topic)]
