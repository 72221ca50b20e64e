"""The held-out parent messages: never trained on, and the model must do well on them."""
import asyncio
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from scripts.evaluate_heldout import HELDOUT, load_examples, predict, score

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "pulpcare.tar.gz"
ACCURACY_FLOOR = 0.93          # target 0.95 (measured 0.961); `make eval` prints the current figure


def normalise(text):
    return " ".join(text.lower().split())


def test_heldout_set_is_big_enough_and_never_trained_on():
    examples = load_examples()
    labels = [label for _, label in examples]
    assert len(examples) >= 200
    assert labels.count("out_of_scope") >= 25
    assert labels.count("report_red_flag") >= 25
    training = {normalise(m.get("text")) for m in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    leaked = [text for text, _ in examples if normalise(text) in training]
    assert not leaked, f"held-out messages found in training data: {leaked[:5]}"


@pytest.fixture(scope="module")
def heldout_result():
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train`")
    examples = load_examples(HELDOUT)
    predicted = asyncio.run(predict(str(MODEL), [t for t, _ in examples]))
    return score([g for _, g in examples], predicted)


def test_every_heldout_red_flag_is_caught(heldout_result):
    assert heldout_result["red_flag_recall"] == 1.0


def test_heldout_accuracy_floor(heldout_result):
    assert heldout_result["accuracy"] >= ACCURACY_FLOOR


def test_heldout_out_of_scope_recall(heldout_result):
    assert heldout_result["out_of_scope_recall"] >= 0.90
