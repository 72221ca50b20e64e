"""TfidfIntentClassifier: a linear intent classifier over TF-IDF weighted counts.

Rasa's own classifiers see raw counts: DIET learns its own weighting, the
LogisticRegressionClassifier does not weight at all. For short parent messages a
plain linear model does better once the counts are weighted the classic way:

* each featurizer's sentence counts (word lemmas, character n-grams) form a block;
* counts are damped (``1 + log(count)``), multiplied by the block's inverse
  document frequency learnt from the training data, and the block is scaled to
  unit length, so a long message with context about the child weighs the same as
  a short one and common words ("my", "the", "is") weigh little;
* a multinomial logistic regression (scikit-learn) maps the blocks to intents.
  Its probabilities are the confidences the FallbackClassifier and the dialogue read.

Measured on 2026-11-22 (5-fold cross-validation on data/nlu, same features):
raw-count logistic regression 82.2%, this weighting 85.6%. Training takes seconds
instead of DIET's minute and a half. Class weights are left unbalanced: the
out-of-scope class is the largest on purpose, and balancing it away cost
out-of-scope recall (cross-validation 86.8% unbalanced against 82.5% balanced,
with the same precision and accuracy 89.4% against 88.9%, C 300 against 100).

The model is stored as plain arrays (``.npz``) and a JSON list of labels: no
pickle is loaded when the model is.
"""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any, Dict, List, Optional, Text

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import softmax
from sklearn.feature_extraction.text import TfidfTransformer

logger = logging.getLogger(__name__)

ARRAYS = "model.npz"
META = "model.json"


def _sentence_blocks(message: Message) -> Dict[Text, scipy.sparse.spmatrix]:
    """The sparse sentence features of the message text, one row per featurizer."""
    return {
        feature.origin: feature.features
        for feature in message.features
        if feature.attribute == TEXT
        and feature.type == FEATURE_TYPE_SENTENCE
        and feature.is_sparse()
    }


def _weight(counts: scipy.sparse.spmatrix, idf: np.ndarray) -> scipy.sparse.csr_matrix:
    """scikit-learn's TfidfTransformer(sublinear_tf=True) with a stored idf: damped
    counts (1 + log(count)) times idf, each row scaled to unit length. Written out
    because scikit-learn's input checks cost more than the arithmetic on one message."""
    weighted = scipy.sparse.csr_matrix(counts, dtype=np.float64, copy=True)
    weighted.data = (np.log(weighted.data) + 1.0) * idf[weighted.indices]
    if weighted.nnz:
        rows = np.repeat(np.arange(weighted.shape[0]), np.diff(weighted.indptr))
        norms = np.sqrt(np.bincount(rows, weighted.data**2, minlength=weighted.shape[0]))
        norms[norms == 0] = 1.0
        weighted.data /= norms[rows]
    return weighted


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfIntentClassifier(GraphComponent, IntentClassifier):
    """Logistic regression over TF-IDF weighted sentence features."""

    @classmethod
    def required_components(cls) -> List[type]:
        return [Featurizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # inverse regularisation strength; the weighted rows have unit length,
            # so the default 1.0 underfits badly (cross-validation: 100 to 1000 best)
            "C": 300.0,
            # reweight classes to equal total weight ("balanced") or not (false)
            "balanced_classes": False,
            # lbfgs steps. With both languages (11,900 examples, 67,000 features) it
            # converges in about 220 steps; stopped at 80 the held-out Spanish and
            # English training examples score the same or better (89.3% / 90.2%
            # against 89.0% / 90.0%, 2026-12-01) and the fit takes 40% less time.
            "max_iter": 80,
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        origins: Optional[List[Text]] = None,
        idf: Optional[List[np.ndarray]] = None,
        coef: Optional[np.ndarray] = None,
        intercept: Optional[np.ndarray] = None,
        labels: Optional[List[Text]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._origins = origins or []
        self._idf = idf or []
        # Only the contiguous transpose (features x intents) is kept: multiplying by a
        # transposed view made scipy copy the whole matrix (29 MB) on every message.
        self._coef_t = None if coef is None else np.ascontiguousarray(coef.T)
        self._intercept = intercept
        self._labels = labels or []

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TfidfIntentClassifier":
        return cls(config, model_storage, resource)

    # -- features -----------------------------------------------------------------
    def _matrix(self, blocks: List[Dict[Text, scipy.sparse.spmatrix]]) -> scipy.sparse.csr_matrix:
        """One weighted row per message (its blocks), the blocks in training order."""
        columns = []
        for origin, idf in zip(self._origins, self._idf, strict=False):
            empty = scipy.sparse.csr_matrix((1, idf.shape[0]))
            rows = [
                row if row is not None and row.shape[1] == idf.shape[0] else empty
                for row in (message_blocks.get(origin) for message_blocks in blocks)
            ]
            columns.append(_weight(scipy.sparse.vstack(rows).tocsr(), idf))
        return scipy.sparse.hstack(columns).tocsr()

    def _scores(self, blocks: Dict[Text, scipy.sparse.spmatrix]) -> np.ndarray:
        """One message's intent scores, computed on its few non-zero features only:
        the same arithmetic as `_matrix` and a product, without building sparse
        matrices (scipy's checks cost ten times the sums on a one-row message)."""
        coef_t = self._coef_t
        assert coef_t is not None  # process() returns early without a model
        scores = np.array(self._intercept, dtype=np.float64)
        offset = 0
        for origin, idf in zip(self._origins, self._idf, strict=False):
            row = blocks.get(origin)
            if row is not None and row.shape[1] == idf.shape[0] and row.nnz:
                row = row.tocoo()
                columns, where = np.unique(row.col, return_inverse=True)
                counts = np.bincount(where, weights=row.data)
                weights = (np.log(counts) + 1.0) * idf[columns]
                weights /= np.sqrt(weights @ weights)
                scores += weights @ coef_t[offset + columns]
            offset += idf.shape[0]
        return scores

    # -- training -----------------------------------------------------------------
    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        examples, blocks = [], []
        for message in training_data.intent_examples:
            message_blocks = _sentence_blocks(message)
            if message_blocks:
                examples.append(message)
                blocks.append(message_blocks)
        if not examples:
            logger.warning(
                "TfidfIntentClassifier: no featurized intent examples; "
                "it will not predict anything."
            )
            return self._resource
        self._origins = sorted({origin for b in blocks for origin in b})
        self._idf = []
        for origin in self._origins:
            width = next(b[origin].shape[1] for b in blocks if origin in b)
            counts = scipy.sparse.vstack(
                [b.get(origin, scipy.sparse.csr_matrix((1, width))) for b in blocks]
            ).tocsr()
            self._idf.append(TfidfTransformer(sublinear_tf=True).fit(counts).idf_)
        X = self._matrix(blocks)
        y = [m.get(INTENT) for m in examples]
        model = LogisticRegression(
            C=self._config["C"],
            max_iter=self._config["max_iter"],
            class_weight=("balanced" if self._config["balanced_classes"] else None),
            random_state=self._config["random_seed"],
        )
        with warnings.catch_warnings():
            # Stopped at max_iter on purpose (config.yml): no accuracy lost, a third
            # of the training time saved; see get_default_config.
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        self._coef_t = np.ascontiguousarray(model.coef_.T)
        self._intercept = model.intercept_
        self._labels = [str(label) for label in model.classes_]
        self.persist()
        return self._resource

    # -- prediction ---------------------------------------------------------------
    def process(self, messages: List[Message]) -> List[Message]:
        if self._coef_t is None:
            return messages
        blocks = [_sentence_blocks(message) for message in messages]
        scores = np.vstack([self._scores(message_blocks) for message_blocks in blocks])
        if len(self._labels) == 2:  # binary logistic regression: one column
            scores = np.hstack([np.zeros_like(scores), scores])
        probabilities = softmax(scores, axis=1)
        for message, message_blocks, row in zip(messages, blocks, probabilities, strict=False):
            if not message_blocks:
                continue  # nothing to classify (empty text): later components decide
            order = np.argsort(-row)
            ranking = [
                {INTENT_NAME_KEY: self._labels[i], PREDICTED_CONFIDENCE_KEY: float(row[i])}
                for i in order[: self._config["ranking_length"]]
            ]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    # -- storage ------------------------------------------------------------------
    def persist(self) -> None:
        if self._coef_t is None:
            return
        with self._storage.write_to(self._resource) as directory:
            arrays = {"coef": self._coef_t.T, "intercept": self._intercept}
            arrays.update({f"idf_{i}": idf for i, idf in enumerate(self._idf)})
            np.savez(directory / ARRAYS, **arrays)
            (directory / META).write_text(
                json.dumps({"labels": self._labels, "origins": self._origins})
            )

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                meta = json.loads((directory / META).read_text())
                with np.load(directory / ARRAYS, allow_pickle=False) as arrays:
                    idf = [arrays[f"idf_{i}"] for i in range(len(meta["origins"]))]
                    coef, intercept = arrays["coef"], arrays["intercept"]
        except (ValueError, FileNotFoundError):
            logger.warning(
                "TfidfIntentClassifier: no trained model found; it will not predict anything."
            )
            return cls(config, model_storage, resource)
        return cls(
            config, model_storage, resource, meta["origins"], idf, coef, intercept, meta["labels"]
        )
