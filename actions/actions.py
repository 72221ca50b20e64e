"""Rasa SDK actions: thin wrappers that ask the knowledge module and send its reply.

The knowledge is loaded and validated once, when the action server imports this
module; a content error stops the server at start-up with the file and entry named.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import Knowledge, Reply, load_knowledge

logger = logging.getLogger(__name__)

KNOWLEDGE: Knowledge = load_knowledge()


def _entity(tracker: Tracker, name: Text) -> Optional[Text]:
    return next(tracker.get_latest_entity_values(name), None)


def send(dispatcher: CollectingDispatcher, reply: Reply) -> List[EventType]:
    dispatcher.utter_message(text=reply.text, buttons=[
        {"title": title, "payload": payload} for title, payload in reply.buttons
    ])
    events: List[EventType] = [SlotSet("last_topic", reply.topic)]
    if reply.procedure:
        events.append(SlotSet("procedure", reply.procedure))
    return events


class ActionAnswer(Action):
    """Answers every question intent from the knowledge module, in context."""

    def __init__(self, knowledge: Optional[Knowledge] = None) -> None:
        self.knowledge = knowledge or KNOWLEDGE

    def name(self) -> Text:
        return "action_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        procedure = tracker.get_slot("procedure")
        if intent == "ask_topic":
            topic = _entity(tracker, "topic")
            if topic in self.knowledge.entries:
                return send(dispatcher, self.knowledge.reply(topic, procedure))
            return send(dispatcher, self.knowledge.more_reply(tracker.get_slot("last_topic")))
        issue = _entity(tracker, "input_issue")
        topic = self.knowledge.input_issue_topic(issue) if issue else None
        topic = topic or self.knowledge.topic_for(intent, procedure)
        if topic is None:
            logger.warning("no answer routed for intent %r", intent)
            topic = self.knowledge.topic_for("nlu_fallback")
        return send(dispatcher, self.knowledge.reply(topic, procedure))


class ActionRedFlag(Action):
    """Sends a parent whose child has a red-flag symptom to the phone or the ER."""

    def __init__(self, knowledge: Optional[Knowledge] = None) -> None:
        self.knowledge = knowledge or KNOWLEDGE

    def name(self) -> Text:
        return "action_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        severity = _entity(tracker, "red_flag")
        topic = self.knowledge.red_flag_topic(severity)
        return send(dispatcher, self.knowledge.reply(topic))
