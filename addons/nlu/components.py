"""Custom Rasa NLU components (server side).

Pipeline order (config.yml):
  InputGuard -> SpacyNLP -> SpacyTokenizer -> RulerEntityExtractor -> featurizers
  -> TfidfIntentClassifier (addons.nlu.classifier) -> SafetyRouter -> FallbackClassifier

* InputGuard cleans the text before anything reads it and records what is wrong
  with it (empty, emoji only, markup only, too long, another language).
* RulerEntityExtractor turns the spaCy entity ruler's matches into Rasa entities
  with normalised values (``pulpotamy`` -> ``pulpotomy``).
* SafetyRouter runs after the classifier: a red flag found by the deterministic
  patterns wins over whatever the classifier said; otherwise a bad input gets the
  intent whose action answers it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS, TOKENS_NAMES
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    EXTRACTOR,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.nlu import input_checks
from addons.nlu.red_flags import RedFlagDetector
from common.names import (
    BUTTON_INTENT,
    FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    PROCEDURE,
    RED_FLAG_INTENT,
)
from common.names import INPUT_ISSUE as INPUT_ISSUE_ENTITY
from common.names import RED_FLAG as RED_FLAG_ENTITY


def _entity(name: Text, value: Text, extractor: Text, start: int = 0, end: int = 0) -> Dict:
    return {
        ENTITY_ATTRIBUTE_TYPE: name,
        ENTITY_ATTRIBUTE_VALUE: value,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        EXTRACTOR: extractor,
    }


def _add_entity(message: Message, entity: Dict) -> None:
    message.set(ENTITIES, message.get(ENTITIES, []) + [entity], add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class InputGuard(GraphComponent):
    """Cleans message text and notes bad input before the pipeline reads it."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Intents our own buttons send as `/intent{...}` payloads.
        return {"allowed_payload_intents": [BUTTON_INTENT]}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._allowed = tuple(config.get("allowed_payload_intents") or ())

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "InputGuard":
        return cls(config)

    def _clean(self, message: Message) -> None:
        result = input_checks.inspect(message.get(TEXT), self._allowed)
        message.set(TEXT, result.text)
        if result.issue:
            message.set(INPUT_ISSUE_ENTITY, result.issue)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(TEXT):
                example.set(TEXT, input_checks.strip_markup(example.get(TEXT)))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._clean(message)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class RulerEntityExtractor(GraphComponent):
    """Rasa entities from the spaCy entity ruler, valued by the pattern's id."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"labels": {"PROCEDURE": PROCEDURE, "TOOTH": "tooth", "SYMPTOM": "symptom"}}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._labels = dict(config["labels"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "RulerEntityExtractor":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None:
                continue
            for ent in doc.ents:
                name = self._labels.get(ent.label_)
                if name:
                    _add_entity(
                        message,
                        _entity(
                            name,
                            ent.ent_id_ or ent.text.lower(),
                            self.__class__.__name__,
                            ent.start_char,
                            ent.end_char,
                        ),
                    )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyRouter(GraphComponent):
    """Red flags and bad input override the classifier's intent."""

    def __init__(self, config: Dict[Text, Any], detector: Optional[RedFlagDetector] = None):
        self._detector = detector or RedFlagDetector.from_file()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SafetyRouter":
        return cls(config)

    @staticmethod
    def _force_intent(message: Message, name: Text) -> None:
        top = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top], add_to_output=True)

    def _route(self, message: Message) -> None:
        tokens = message.get(TOKENS_NAMES[TEXT]) or []
        flags = self._detector.detect((t.text, t.lemma) for t in tokens)
        if flags:
            self._force_intent(message, RED_FLAG_INTENT)
            _add_entity(
                message, _entity(RED_FLAG_ENTITY, flags[0].severity, self.__class__.__name__)
            )
            message.set("red_flags", [f.rule for f in flags], add_to_output=True)
            return
        issue = message.get(INPUT_ISSUE_ENTITY)
        if issue:
            intent = (
                OUT_OF_SCOPE_INTENT if issue == input_checks.OTHER_LANGUAGE else FALLBACK_INTENT
            )
            self._force_intent(message, intent)
            _add_entity(message, _entity(INPUT_ISSUE_ENTITY, issue, self.__class__.__name__))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if message.get(TEXT, "").startswith("/"):
                continue  # one of our own button payloads: handled downstream
            self._route(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
