"""The entity ruler names the procedure the parent wrote, misspelled or not."""

import pytest


@pytest.mark.parametrize(
    "text,value",
    [
        ("what is a pulpotomy", "pulpotomy"),  # exact: never taken by a fuzzy pattern of
        ("what is a pulpectomy", "pulpectomy"),  # the other procedure ("pulpetomy")
        ("my son needs a pulpotamy", "pulpotomy"),
        ("she had a pulpectamy", "pulpectomy"),
        ("is a pulpotommy safe", "pulpotomy"),
    ],
)
def test_procedure_entity(nlp, text, value):
    assert [ent.ent_id_ for ent in nlp(text).ents if ent.label_ == "PROCEDURE"] == [value]
