"""TfidfIntentClassifier: trained with Rasa's own tokenizer and featurizers."""

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from addons.nlu.classifier import TfidfIntentClassifier, _sentence_blocks, _weight

EXAMPLES = {
    "ask_crown": [
        "why does my son need a crown",
        "why a crown and not a filling",
        "can we get a white crown",
        "does the crown fall out with the tooth",
        "why is there a silver cap on her tooth",
    ],
    "ask_cost": [
        "how much does a pulpotomy cost",
        "is it covered by insurance",
        "do you take medicaid",
        "what will we pay for the crown and the pulpotomy",
        "price for a baby root canal",
    ],
    "ask_pain": [
        "will it hurt",
        "is a pulpotomy painful",
        "will they numb her",
        "does the needle hurt",
        "is my daughter going to be in pain",
    ],
}


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def _context(name):
    return ExecutionContext(GraphSchema({}), node_name=name)


def _featurizers(storage):
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    words = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "alias": "words"},
        storage,
        Resource("words"),
        _context("words"),
    )
    chars = CountVectorsFeaturizer.create(
        {
            **CountVectorsFeaturizer.get_default_config(),
            "alias": "chars",
            "analyzer": "char_wb",
            "min_ngram": 2,
            "max_ngram": 4,
        },
        storage,
        Resource("chars"),
        _context("chars"),
    )
    return tokenizer, [words, chars]


def _train(storage, examples=EXAMPLES, config=None):
    tokenizer, featurizers = _featurizers(storage)
    data = TrainingData(
        [Message.build(text=t, intent=i) for i, texts in examples.items() for t in texts]
    )
    tokenizer.process_training_data(data)
    for featurizer in featurizers:
        featurizer.train(data)
        featurizer.process_training_data(data)
    resource = Resource("classifier")
    classifier = TfidfIntentClassifier.create(
        {**TfidfIntentClassifier.get_default_config(), **(config or {})},
        storage,
        resource,
        _context("classifier"),
    )
    classifier.train(data)

    def featurize(text):
        message = Message.build(text=text)
        tokenizer.process([message])
        for featurizer in featurizers:
            featurizer.process([message])
        return message

    return classifier, resource, featurize


def _classify(classifier, featurize, text):
    message = featurize(text)
    classifier.process([message])
    return message


@pytest.mark.parametrize(
    "text, intent",
    [
        ("how much is the crown", "ask_cost"),  # "crown" alone would say ask_crown
        ("why the white crown", "ask_crown"),
        ("will the numbing shot hurt him", "ask_pain"),
    ],
)
def test_predicts_the_intent_of_unseen_messages(storage, text, intent):
    classifier, _, featurize = _train(storage)
    assert _classify(classifier, featurize, text).get("intent")["name"] == intent


def test_long_message_with_context_keeps_its_intent(storage):
    classifier, _, featurize = _train(storage)
    story = (
        "my daughter is five and she has been so brave at every visit but "
        "the dentist told us on tuesday that her back tooth needs work and "
    )
    message = _classify(classifier, featurize, story + "will it hurt")
    assert message.get("intent")["name"] == "ask_pain"


def test_ranking_is_a_probability_distribution(storage):
    classifier, _, featurize = _train(storage)
    message = _classify(classifier, featurize, "is a pulpotomy covered")
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert {r["name"] for r in ranking} == set(EXAMPLES)
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(1.0)
    assert message.get("intent") == ranking[0]


@pytest.mark.parametrize(
    "intents", [list(EXAMPLES), ["ask_crown", "ask_cost"]], ids=["three intents", "two intents"]
)
def test_confidences_are_those_of_scikit_learn(storage, intents):
    """The stored arrays give the same probabilities as the fitted model did."""
    from sklearn.linear_model import LogisticRegression

    examples = {i: EXAMPLES[i] for i in intents}
    classifier, _, featurize = _train(storage, examples)
    train = [featurize(t) for texts in examples.values() for t in texts]
    labels = [i for i, texts in examples.items() for t in texts]

    def weighted(messages):
        return classifier._matrix([_sentence_blocks(m) for m in messages])

    model = LogisticRegression(C=300.0, max_iter=1000, random_state=42).fit(weighted(train), labels)
    probe = [featurize("does insurance pay for the crown")]
    ours = {
        r["name"]: r["confidence"]
        for r in _classify(classifier, featurize, probe[0].get("text")).get("intent_ranking")
    }
    theirs = dict(zip(model.classes_, model.predict_proba(weighted(probe))[0], strict=False))
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_saved_and_loaded_model_predicts_the_same(storage):
    classifier, resource, featurize = _train(storage)
    loaded = TfidfIntentClassifier.load(
        TfidfIntentClassifier.get_default_config(), storage, resource, _context("classifier")
    )
    for text in ("how much is it", "does it hurt", "a white cap?"):
        assert _classify(loaded, featurize, text).get("intent_ranking") == _classify(
            classifier, featurize, text
        ).get("intent_ranking")
    with storage.read_from(resource) as directory:
        with np.load(directory / "model.npz", allow_pickle=False) as arrays:
            assert arrays["coef"].shape[0] == len(EXAMPLES)  # plain arrays, no pickle


def test_two_intents(storage):
    two = {k: EXAMPLES[k] for k in ("ask_crown", "ask_pain")}
    classifier, _, featurize = _train(storage, two)
    ranking = _classify(classifier, featurize, "does it hurt").get("intent_ranking")
    assert ranking[0]["name"] == "ask_pain"
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_message_without_features_is_left_alone(storage):
    classifier, _, _ = _train(storage)
    message = Message.build(text="")
    classifier.process([message])
    assert message.get("intent") is None


def test_untrained_model_predicts_nothing(storage):
    classifier = TfidfIntentClassifier.load(
        TfidfIntentClassifier.get_default_config(),
        storage,
        Resource("never-trained"),
        _context("classifier"),
    )
    _, _, featurize = _train(storage)
    message = featurize("will it hurt")
    classifier.process([message])
    assert message.get("intent") is None


def test_weighting_gives_unit_rows_and_damps_common_words():
    counts = scipy.sparse.csr_matrix(np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 0.0]]))
    idf = np.array([1.0, 3.0, 2.0])  # the first word is common, the second rare
    weighted = _weight(counts, idf).toarray()
    assert np.linalg.norm(weighted[0]) == pytest.approx(1.0)
    assert weighted[1].tolist() == [0.0, 0.0, 0.0]  # an empty row stays empty
    # three "common" count less than one "rare": (1 + ln 3) * 1 < 1 * 3
    assert weighted[0][0] < weighted[0][1]


def test_weighting_is_scikit_learns():
    """The hand-written weighting gives what TfidfTransformer(sublinear_tf=True) gives."""
    from sklearn.feature_extraction.text import TfidfTransformer

    counts = scipy.sparse.csr_matrix(
        np.array([[0, 2, 0, 1, 5], [0, 0, 0, 0, 0], [3, 0, 1, 0, 1], [1, 1, 1, 1, 1]], float)
    )
    transformer = TfidfTransformer(sublinear_tf=True).fit(counts)
    assert _weight(counts, transformer.idf_).toarray() == pytest.approx(
        transformer.transform(counts).toarray(), abs=1e-12
    )
