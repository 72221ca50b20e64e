"""Spanish red flags: deterministic patterns (addons/nlu/red_flags_es.yml) on the
Spanish spaCy pipeline's reading, as the Rasa pipeline reads a message."""

from pathlib import Path

import pytest
import yaml

from addons.nlu.red_flags import PATTERN_FILE_ES, RedFlagDetector
from common.language import fold
from common.names import EMERGENCY, URGENT

ROOT = Path(__file__).resolve().parents[3]
SPANISH_DATA = ROOT / "data" / "nlu" / "es"


@pytest.fixture(scope="module")
def detector():
    return RedFlagDetector.from_file(PATTERN_FILE_ES)


@pytest.fixture(scope="module")
def nlp_es():
    import spacy

    model = ROOT / "build" / "spacy_es_pulpcare"
    if not model.exists():
        pytest.fail(f"{model} is missing: run `make setup` first")
    return spacy.load(model)


@pytest.fixture
def severity(detector, nlp_es):
    def check(text):
        # as BilingualSpacyNLP reads it: lemmas without accents
        doc = nlp_es(text)
        return detector.severity((t.text, fold(t.lemma_ or t.text)) for t in doc)

    return check


@pytest.fixture
def either_reading(severity, nlp):
    """As SafetyRouter checks a message: the Spanish and the English patterns, each on
    its own reading, so a Spanglish "su cara is swollen" is caught."""
    english = RedFlagDetector.from_file()

    def check(text):
        found = [severity(text), english.severity((t.text, t.lemma_) for t in nlp(text.lower()))]
        found = [f for f in found if f]
        return EMERGENCY if EMERGENCY in found else (found[0] if found else None)

    return check


@pytest.mark.parametrize(
    "text",
    [
        "no puede respirar bien desde la anestesia",
        "le cuesta respirar y esta muy inquieto",
        "mi hija no puede tragar ni su saliva",
        "se esta ahogando, q hago",
        "la hinchazon le llega al ojo",
        "tiene el ojo hinchado, casi cerrado",
        "se le hincho el cuello del lado de la muela",
        "la hinchazón está creciendo muy rápido",
        "no puede abrir la boca",
        "le sangra y no para, ya van dos horas",
        "sigue sangrando aunque muerde la gasa",
        "sangra mucho de la encia desde la mañana y no para aunque muerde la gasa",
        "se desmayo despues de la cita",
        "se trago la coronita y no deja de toser",
        "tiene la lengua hinchada",
    ],
)
def test_emergencies(severity, text):
    assert severity(text) == EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "tiene calentura y la cara hinchada",
        "tiene fiebre de 39",
        "esta caliente y le duele la muela",
        "la medicina no le quita el dolor",
        "le di tylenol y motrin y nada, sigue llorando de dolor",
        "no quiere tomar nada desde ayer",
        "no toma agua",
        "tiene un granito en la encia arriba de la corona",
        "le salio una postemilla",
        "le sale pus de la encía",
        "se le cayo la coronita",
        "el casquito se le levanta de un lado",
        "le tumbaron un diente jugando futbol",
        "se cayo de la bici y se le quebro el diente de enfrente",
        "se le salio un diente permanente, lo tengo en leche",
        "se pego en la boca y le sangra el labio y el diente",
        "se le inflamo el cachete",
        "ya lleva 4 dias con dolor y cada dia peor",
        "se le mueve mucho la coronita",
    ],
)
def test_call_the_practice_now(severity, text):
    assert severity(text) in (URGENT, EMERGENCY)


@pytest.mark.parametrize(
    "text",
    [
        "q es una pulpotomia",
        "cuanto cuesta una pulpectomia con seguro",
        "cuanto sale la corona blanca",
        "es normal q le duela un poco despues?",
        "no puede comer ni tomar nada antes de la sedacion?",
        "se le cayo el diente de leche, es normal?",
        "no tiene fiebre ni hinchazon, solo un poco de dolor",
        "ya no tiene calentura",
        "el dentista dijo que le van a matar el nervio",
        "le van a poner anestesia, le va a doler el piquete?",
        "la corona se cae junto con el diente?",
        "el metal de la corona suelta toxinas?",
        "cuando puede regresar a la escuela",
    ],
)
def test_ordinary_questions_are_not_flagged(severity, text):
    assert severity(text) is None


def _examples(intent_filter):
    for path in sorted(SPANISH_DATA.glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            if intent_filter(item["intent"]):
                for line in item["examples"].splitlines():
                    if line.strip().startswith("- "):
                        yield line.strip()[2:]


def test_every_spanish_red_flag_training_example_is_caught(either_reading):
    examples = list(_examples(lambda i: i == "report_red_flag"))
    missed = [t for t in examples if either_reading(t) is None]
    assert not missed, missed


def test_few_ordinary_spanish_questions_are_alarmed(either_reading):
    """Safety first, but a worried parent asking about crowns should not be sent to
    the phone: at most 1 in 100 ordinary training questions may fire a pattern (those
    that do mention a sign: "will the swelling come back?")."""
    ordinary = list(_examples(lambda i: i != "report_red_flag"))
    alarmed = [t for t in ordinary if either_reading(t)]
    assert len(ordinary) > 1000
    assert len(alarmed) <= len(ordinary) // 100, alarmed
