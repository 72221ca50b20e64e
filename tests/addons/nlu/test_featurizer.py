"""SentenceCountVectorsFeaturizer gives a text the sentence features Rasa's
CountVectorsFeaturizer gives it, and no sequence features."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.nlu.featurizer import SentenceCountVectorsFeaturizer

TRAINING = [
    ("will it hurt", "ask_pain"),
    ("is a pulpotomy painful for a 4 yo", "ask_pain"),
    ("how much does the crown cost", "ask_cost"),
    ("q es una pulpotomia", "ask_definition"),
    ("whats a baby root canal", "ask_definition"),
]
PROBES = ["does it hurt?", "cuanto cuesta la corona", "pulpotamy pulpotamy cost", "zzz", ""]
CONFIGS = {
    "words": {},
    "pairs": {"min_ngram": 1, "max_ngram": 2},
    "chars": {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
}


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def _trained(cls, storage, alias):
    config = {**CountVectorsFeaturizer.get_default_config(), "alias": alias, **CONFIGS[alias]}
    featurizer = cls.create(
        config,
        storage,
        Resource(f"{cls.__name__}-{alias}"),
        ExecutionContext(GraphSchema({}), node_name=alias),
    )
    data = TrainingData([Message.build(text=t, intent=i) for t, i in TRAINING])
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    featurizer.train(data)
    return featurizer


def _features(featurizer, texts):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    messages = [Message.build(text=text) for text in texts]
    tokenizer.process(messages)
    featurizer.process(messages)
    return messages


@pytest.mark.parametrize("alias", list(CONFIGS))
def test_sentence_features_are_rasas(storage, alias):
    ours = _trained(SentenceCountVectorsFeaturizer, storage, alias)
    rasas = _trained(CountVectorsFeaturizer, storage, alias)
    # one batch for ours (as at training time), one message at a time for Rasa's
    for mine, theirs in zip(_features(ours, PROBES), _features(rasas, PROBES), strict=True):
        _, our_sentence = mine.get_sparse_features("text")
        _, their_sentence = theirs.get_sparse_features("text")
        if their_sentence is None:
            assert our_sentence is None, mine.get("text")
            continue
        assert our_sentence.features.shape == their_sentence.features.shape
        assert (our_sentence.features != their_sentence.features).nnz == 0, mine.get("text")


def test_no_sequence_features(storage):
    ours = _trained(SentenceCountVectorsFeaturizer, storage, "words")
    (message,) = _features(ours, ["will it hurt"])
    sequence, sentence = message.get_sparse_features("text")
    assert sequence is None
    assert sentence is not None and sentence.features.sum() == 3


def test_untrained_featurizer_adds_nothing(storage):
    featurizer = SentenceCountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(),
        storage,
        Resource("untrained"),
        ExecutionContext(GraphSchema({}), node_name="untrained"),
    )
    (message,) = _features(featurizer, ["will it hurt"])
    assert message.get_sparse_features("text") == (None, None)
