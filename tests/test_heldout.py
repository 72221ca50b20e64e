"""The held-out parent messages: never trained on, and the model must do well on them.

Five blind sets, written on 2026-11-22, each by someone who saw neither the
training data nor any other set, and three more (`heldout_content.yml`,
`heldout_content2.yml` and `heldout_content3.yml`, 2026-12-01, three different
writers) for the questions parents ask next and the new red flags, and a Spanish
one (`heldout_es.yml`, issue 13, a writer who saw no Spanish training data). Only their
figures have been looked at (`make eval` prints nothing else for them), with the exceptions
stated in docs/model-card.md: red-flag messages a model missed or under-rated.
The five older sets were labelled before 21 intents were split out of older ones,
so they are held to their split-aware figures (an intent split out of the label
counts as right). Per set, the floors sit about 2 points under the measured
figures; over the five together, a little under issue 12's targets (accuracy 96.5%,
out-of-scope recall 95%: 96.4% and 94.9% since Spanish shares the model) and every
red flag; on the content sets and the Spanish set, every red flag at its severity.
"""

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from common.paths import PROJECT_ROOT
from scripts.evaluate_heldout import (
    HELDOUT_BLIND,
    HELDOUT_C,
    HELDOUT_CONTENT,
    HELDOUT_CONTENT2,
    HELDOUT_CONTENT3,
    HELDOUT_D,
    HELDOUT_E,
    HELDOUT_ES,
    HELDOUT_FINAL,
    evaluate,
    load_examples,
)

pytestmark = pytest.mark.slow  # loads the trained model

ROOT = PROJECT_ROOT
MODEL = ROOT / "models" / "pulpcare.tar.gz"
# Floors a little under the measured figures (`make eval` prints them).
ACCURACY_FLOOR = {  # split-aware for the five older sets
    HELDOUT_BLIND: 0.94,
    HELDOUT_FINAL: 0.915,
    HELDOUT_C: 0.94,
    HELDOUT_D: 0.94,
    HELDOUT_E: 0.94,
    HELDOUT_CONTENT: 0.92,
    HELDOUT_CONTENT2: 0.915,
    HELDOUT_CONTENT3: 0.935,
    # Spanish (issue 13): measured once at 96.6% of 261; target 93%
    HELDOUT_ES: 0.945,
}
OUT_OF_SCOPE_FLOOR = {
    HELDOUT_ES: 0.93,  # measured once at 96.7%; target 90%
    HELDOUT_BLIND: 0.92,
    HELDOUT_FINAL: 0.81,
    HELDOUT_C: 0.91,
    HELDOUT_D: 0.93,
    HELDOUT_E: 0.90,
}
OLDER = [
    pytest.param(HELDOUT_BLIND, id="blind"),
    pytest.param(HELDOUT_FINAL, id="final"),
    pytest.param(HELDOUT_C, id="c"),
    pytest.param(HELDOUT_D, id="d"),
    pytest.param(HELDOUT_E, id="e"),
]
CONTENT = [
    pytest.param(HELDOUT_CONTENT, id="content"),
    pytest.param(HELDOUT_CONTENT2, id="content2"),
    pytest.param(HELDOUT_CONTENT3, id="content3"),
]
SPANISH = [pytest.param(HELDOUT_ES, id="spanish")]
SETS = OLDER + CONTENT + SPANISH


def normalise(text):
    return " ".join(text.lower().split())


@pytest.mark.parametrize("held_out", SETS)
def test_heldout_set_is_big_enough_and_never_trained_on(held_out):
    examples = load_examples(held_out)
    labels = [label for _, label in examples]
    if held_out == HELDOUT_CONTENT:  # new topics and red flags, no out-of-scope
        assert len(examples) >= 120 and labels.count("report_red_flag") >= 25
    elif held_out == HELDOUT_ES:  # 261 written, 18 training duplicates dropped
        assert len(examples) >= 200 and labels.count("report_red_flag") >= 25
        assert labels.count("out_of_scope") >= 25
    elif held_out in (HELDOUT_CONTENT2, HELDOUT_CONTENT3):  # with out-of-scope
        assert len(examples) >= 150 and labels.count("report_red_flag") >= 20
        # 20 written; training duplicates dropped, and one written in Spanish is left
        # out of the English figures since Spanish is answered (issue 13)
        assert labels.count("out_of_scope") >= 17
    else:
        assert len(examples) >= 200
        assert labels.count("out_of_scope") >= 25
        assert labels.count("report_red_flag") >= 25
    training = {
        normalise(m.get("text")) for m in load_data(str(ROOT / "data" / "nlu")).intent_examples
    }
    leaked = [text for text, _ in examples if normalise(text) in training]
    assert not leaked, f"held-out messages found in training data: {leaked[:5]}"


@pytest.fixture(scope="module")
def results():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    scores, _ = evaluate(str(MODEL), tuple(p.values[0] for p in SETS))
    return scores


def figures(results, held_out):
    return results[held_out].get("split_aware", results[held_out])


def test_the_five_older_sets_together_meet_the_targets(results):
    together = results["older"]["split_aware"]
    assert together["examples"] >= 1000
    # Issue 12's targets were 96.5% and 95% (measured 96.5% / 95.2%). With Spanish in
    # the same model (issue 13) they measure 96.4% / 94.9% (1,321 of 1,370): the
    # price of one bilingual model, stated in docs/model-card.md#spanish.
    assert together["accuracy"] >= 0.96
    assert together["out_of_scope_recall"] >= 0.945
    assert results["older"]["red_flag_recall"] == 1.0


@pytest.mark.parametrize("held_out", CONTENT + SPANISH)
def test_every_red_flag_of_the_content_sets_gets_its_severity(results, held_out):
    content = results[held_out]
    assert content["emergency_support"] >= 10 and content["urgent_support"] >= 10
    assert content["emergency_recall"] == 1.0  # the 911 reply, not only "call now"
    assert content["urgent_recall"] == 1.0


@pytest.mark.parametrize("held_out", SETS)
def test_every_heldout_red_flag_is_caught(results, held_out):
    assert results[held_out]["red_flag_recall"] == 1.0


@pytest.mark.parametrize("held_out", SETS)
def test_heldout_accuracy_floor(results, held_out):
    assert figures(results, held_out)["accuracy"] >= ACCURACY_FLOOR[held_out]


@pytest.mark.parametrize("held_out", OLDER + SPANISH)
def test_heldout_out_of_scope_recall(results, held_out):
    assert figures(results, held_out)["out_of_scope_recall"] >= OUT_OF_SCOPE_FLOOR[held_out]
