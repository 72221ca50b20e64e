"""SentenceCountVectorsFeaturizer: Rasa's CountVectorsFeaturizer, sentence features only.

Rasa's featurizer computes, for every message text, a sequence matrix (one row per
token, for DIET and TED) and a sentence matrix (the whole text), one message at a
time. Our classifier (`classifier.py`) reads the sentence matrix only, and no
policy of ours reads message features at all, so half of that work was thrown
away on every parent message; and at training time the one-by-one loop over
13,000 examples took most of a minute per featurizer.

This subclass keeps Rasa's vocabulary, training, storage and configuration
(`alias`, `analyzer`, n-grams, `use_lemma`...) and changes one thing: texts
(and bot responses) get only their sentence features, computed in one batch
(scikit-learn's `transform` over all messages at once). Intent and action names
keep Rasa's own features. The sentence features are the ones Rasa computes
(tests/addons/nlu/test_featurizer.py compares them).

It uses two helpers of Rasa 3.6's CountVectorsFeaturizer
(`_get_processed_message_tokens_by_attribute`, `_create_features`) and its
`vectorizers`; an upgrade of Rasa must run that test.
"""

from __future__ import annotations

from typing import List, Optional, Text

import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """CountVectorsFeaturizer giving texts sentence features only, in one batch."""

    def _sentences(
        self, attribute: Text, all_tokens: List[List[Text]]
    ) -> List[Optional[scipy.sparse.spmatrix]]:
        """Each message's sentence matrix (1 x vocabulary), None for a message without
        tokens: Rasa's per-message transform of the joined tokens, done in one call."""
        texts = [" ".join(tokens) for tokens in all_tokens if tokens]
        if not texts:
            return [None] * len(all_tokens)
        matrix = self.vectorizers[attribute].transform(texts).tocsr()
        matrix.sort_indices()
        rows = iter(range(matrix.shape[0]))
        return [matrix[next(rows)].tocoo() if tokens else None for tokens in all_tokens]

    def process(self, messages: List[Message]) -> List[Message]:
        if not self.vectorizers:
            return super().process(messages)  # logs that it was not trained
        for attribute in self._attributes:
            all_tokens = [
                self._get_processed_message_tokens_by_attribute(message, attribute)
                for message in messages
            ]
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES and self.vectorizers.get(attribute):
                sentences = self._sentences(attribute, all_tokens)
                for message, sentence in zip(messages, sentences, strict=True):
                    if sentence is not None:
                        message.add_features(
                            Features(sentence, FEATURE_TYPE_SENTENCE, attribute, self._identifier)
                        )
                continue
            for message, tokens in zip(messages, all_tokens, strict=True):
                sequence, sentence = self._create_features(attribute, [tokens])
                self.add_features_to_message(sequence[0], sentence[0], attribute, message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
