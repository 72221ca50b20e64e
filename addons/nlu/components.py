"""Custom Rasa NLU components (server side).

Pipeline order (config.yml):
  InputGuard -> BilingualSpacyNLP -> SpacyTokenizer -> RulerEntityExtractor -> featurizers
  -> TfidfIntentClassifier (addons.nlu.classifier) -> SafetyRouter -> FallbackClassifier

* InputGuard cleans the text before anything reads it, records what is wrong
  with it (empty, emoji only, markup only, too long, a language other than English
  or Spanish) and which of the two languages it is in (`language`).
* BilingualSpacyNLP is Rasa's SpacyNLP with a second, Spanish pipeline: each message
  is read by the pipeline of its language (lemmas, entity patterns), and both
  readings are kept for the red-flag patterns, so a Spanglish "tiene fever" is read.
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
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
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
from addons.nlu import language as language_detection
from addons.nlu.red_flags import PATTERN_FILE_ES, RedFlagDetector
from common.language import EN, ES, fold
from common.language import SLOT as LANGUAGE
from common.names import (
    BUTTON_INTENT,
    FALLBACK_INTENT,
    OUT_OF_SCOPE_INTENT,
    PROCEDURE,
    RED_FLAG_INTENT,
)
from common.names import INPUT_ISSUE as INPUT_ISSUE_ENTITY
from common.names import RED_FLAG as RED_FLAG_ENTITY
from common.thresholds import SEVERITY_ORDER


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
        issue = result.issue
        if result.text and not result.text.startswith("/"):
            found = language_detection.detect(result.text)
            if issue is None and language_detection.other_language(result.text):
                issue = input_checks.OTHER_LANGUAGE
            if issue == input_checks.OTHER_LANGUAGE:
                found = language_detection.unsure(found)  # French is not Spanish
            message.set(LANGUAGE, found.as_dict(), add_to_output=True)
        if issue:
            message.set(INPUT_ISSUE_ENTITY, issue)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(TEXT):
                example.set(TEXT, input_checks.strip_markup(example.get(TEXT)))
                example.set(LANGUAGE, language_detection.detect(example.get(TEXT)).as_dict())
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._clean(message)
        return messages


SPANISH_READING = 0.6  # read a message in Spanish from this confidence up


def message_language(message: Message) -> str:
    """The pipeline a message is read with: Spanish when InputGuard found Spanish with
    some confidence, else English (the default; "pulpotomy vs pulpectomy" is no
    evidence either way)."""
    found = message.get(LANGUAGE)
    if not isinstance(found, dict) or found.get("code") != ES:
        return EN
    return ES if float(found.get("confidence") or 0) >= SPANISH_READING else EN


RED_FLAG_TOKENS = "red_flag_tokens"  # (text, lemma) pairs of each language's reading


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.MODEL_LOADER,
        DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER,
    ],
    is_trainable=False,
    model_from="BilingualSpacyNLP",
)
class BilingualSpacyNLP(SpacyNLP):
    """SpacyNLP reading each message with the spaCy pipeline of its language.

    `model` is the English pipeline (what Rasa's SpacyNLP loads and provides),
    `model_es` the Spanish one; both are built offline by `make`
    (scripts/build_spacy.py). The tokenizer and the entity extractor read the doc
    of the message's language; the red-flag patterns read both (`red_flag_tokens`).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SpacyNLP.get_default_config(), "model_es": None}

    def __init__(self, model: SpacyModel, config: Dict[Text, Any]) -> None:
        super().__init__(model, config)
        self._spanish = self.load_model(config["model_es"]).model

    def _spanish_doc(self, text: Text) -> Any:
        """The Spanish reading, lemmas without accents: parents rarely type them, so
        "pulpotomía" and "pulpotomia", "está" and "esta" are one word to the classifier."""
        doc = self._doc_for_text(self._spanish, text)
        for token in doc:
            token.lemma_ = fold(token.lemma_ or token.text)
        return doc

    def _read(self, message: Message, english: Any) -> None:
        text = message.get(TEXT)
        if not text:
            return
        docs = {EN: self._doc_for_text(english, text), ES: self._spanish_doc(text)}
        message.set(SPACY_DOCS[TEXT], docs[message_language(message)])
        message.set(
            RED_FLAG_TOKENS,
            {lang: [(t.text, t.lemma_) for t in doc] for lang, doc in docs.items()},
        )

    def process_training_data(self, training_data: TrainingData, model: SpacyModel) -> TrainingData:
        training_data = super().process_training_data(training_data, model)
        for example in training_data.training_examples:
            if example.get(TEXT) and message_language(example) == ES:
                example.set(SPACY_DOCS[TEXT], self._spanish_doc(example.get(TEXT)))
        return training_data

    def process(self, messages: List[Message], model: SpacyModel) -> List[Message]:
        for message in messages:
            self._read(message, model.model)
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

    def __init__(
        self,
        config: Dict[Text, Any],
        detector: Optional[RedFlagDetector] = None,
        detector_es: Optional[RedFlagDetector] = None,
    ):
        self._detectors = {
            EN: detector or RedFlagDetector.from_file(),
            ES: detector_es or RedFlagDetector.from_file(PATTERN_FILE_ES),
        }

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

    def _flags(self, message: Message) -> List[Any]:
        """Red flags in the English and the Spanish reading of the message."""
        readings = message.get(RED_FLAG_TOKENS)
        if not readings:  # no bilingual reading (a test pipeline): the tokens
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            pairs = [(t.text, t.lemma) for t in tokens]
            readings = {EN: pairs, ES: pairs}
        flags: Dict[Text, Any] = {}
        for lang, detector in self._detectors.items():
            for flag in detector.detect(readings.get(lang) or []):
                flags.setdefault(flag.rule, flag)
        # Most severe first; a stable sort keeps each detector's own order.
        return sorted(flags.values(), key=lambda flag: -SEVERITY_ORDER[flag.severity])

    def _route(self, message: Message) -> None:
        flags = self._flags(message)
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
