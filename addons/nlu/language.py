"""Which language a message is in: English or Spanish (see common/language.py).

Parents write short, misspelled, unaccented messages ("q es una pulpotomia",
"y duele?"), so a general-purpose detector is helped by the words of this domain.
Three detectors were measured on held-out messages of both languages
(`scripts/evaluate_language.py`, figures in docs/model-card.md):

- `lingua`: lingua-language-detector restricted to English and Spanish, low-accuracy
  mode (trigram models only: about 11 MB loaded, well under a millisecond);
- `cues`: counts of common English and Spanish words and word endings;
- `combined` (used): `cues` when they are decisive, else lingua.

Nothing is downloaded at run time: lingua's models ship inside its wheel.
"""

from __future__ import annotations

import functools
import re
from typing import Any, Tuple

from common.language import EN, ES, Detection, fold, requested

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)

# Frequent words that settle the question in a parent's message (accents folded).
_SPANISH = frozenset(
    """
que q k el la los las un una unos unas de del d al en y o pero porque xq pq por x para con
sin mi mis su sus mi hijo hija hijos nino nina ninos bebe es esta estan son fue era tiene tienen
tengo hay le les lo me se te ya muy mas tambien tmb como cuando donde cual cuanto cuantos cuanta
cuesta duele dolor muela muelas diente dientes dientito leche nervio corona coronita encia
encias cara cachete hinchado hinchada hinchazon inflamado fiebre calentura sangre sangra
boca ojo cuello puede pueden hacer hacen van va vamos necesita necesito dijo dentista doctor
doctora hola gracias buenas buenos dias tardes noches si no pregunta quiero quisiera saber
seguro aseguranza cubre cita llamar llame ayuda sacar sacarle quitar arrancar tratamiento
despues antes ahora hoy manana semana anos meses horas comer tomar dormir miedo dormido
anestesia pasa paso normal algo nada todo bien mal otra otro eso esto este ese usted ustedes
""".split()
)
_ENGLISH = frozenset(
    """
the a an and or but because of to in on at for with without my his her their our your is are
was were be been being has have had do does did can could will would should what when where
which who why how much many it its this that these those he she they we you i me him them
son daughter kid kids child children baby tooth teeth dentist hurt hurts pain after before
about from get got going gonna wanna need needs needed said says told just still also really
very so if then than there here yes ok okay thanks thank hi hello please u ur pls thx dont
cant wont im its whats hows swelling swollen fever face cheek gum gums eat eating sleep
bye hi hey more questions question silver white steel fluoride crown crowns cavity cavities
nerve filling fillings numb shot gas sore
""".split()
)
# Spanish word endings rare in English ("-cion", "-ito", "-ado", verb forms).
_SPANISH_ENDINGS = re.compile(
    r"(cion|ciones|ito|ita|itos|itas|ado|ada|ados|adas|ando|iendo|amos|emos)$"
)
_SHARED = frozenset({"a", "no", "me", "he", "son", "pulpa", "normal", "doctor", "dentista"})


def _words(text: str) -> list:
    return _WORD.findall(fold(text))


@functools.lru_cache(maxsize=64)  # asked up to three times per message
def cue_scores(text: str) -> Tuple[float, float]:
    """(English, Spanish) evidence from common words and endings."""
    english = spanish = 0.0
    for word in _words(text):
        if word in _SHARED:
            continue
        if word in _SPANISH:
            spanish += 1
        elif len(word) > 4 and _SPANISH_ENDINGS.search(word):
            spanish += 0.5
        if word in _ENGLISH:
            english += 1
    return english, spanish


def by_cues(text: str) -> Tuple[str, float]:
    english, spanish = cue_scores(text)
    total = english + spanish
    if total == 0:
        return EN, 0.5
    if spanish > english:
        return ES, min(0.99, 0.5 + 0.5 * (spanish - english) / total * min(1.0, total / 3))
    if english > spanish:
        return EN, min(0.99, 0.5 + 0.5 * (english - spanish) / total * min(1.0, total / 3))
    return EN, 0.5


# The languages lingua tells apart: ours, and the others US families write most, so a
# French or Portuguese message is recognised as neither English nor Spanish.
_LINGUA_LANGUAGES = (
    "ENGLISH",
    "SPANISH",
    "FRENCH",
    "PORTUGUESE",
    "GERMAN",
    "ITALIAN",
    "VIETNAMESE",
)
OTHER_LANGUAGE_CONFIDENCE = 0.95


@functools.lru_cache(maxsize=2)
def _lingua(low_accuracy: bool = True) -> Any:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LINGUA_LANGUAGES]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


@functools.lru_cache(maxsize=64)  # detect() and other_language() read the same message
def _lingua_values(text: str, low_accuracy: bool = True) -> dict:
    values = _lingua(low_accuracy).compute_language_confidence_values(text)
    return {value.language.name: float(value.value) for value in values}


def by_lingua(text: str, low_accuracy: bool = True) -> Tuple[str, float]:
    """English or Spanish, the confidence between those two only."""
    values = _lingua_values(text, low_accuracy)
    english, spanish = values.get("ENGLISH", 0.0), values.get("SPANISH", 0.0)
    if english + spanish <= 0:
        return EN, 0.5
    if spanish > english:
        return ES, spanish / (english + spanish)
    return EN, english / (english + spanish)


def other_language(text: str) -> bool:
    """True when the message is clearly in a third language (French, Portuguese...)."""
    if len(_words(text)) < 3:
        return False
    english, spanish = cue_scores(text)
    if english or spanish > 1:  # an English word, or Spanish ones: one of ours
        return False
    values = _lingua_values(text)
    best = max(values, key=lambda name: values[name]) if values else "ENGLISH"
    return best not in ("ENGLISH", "SPANISH") and values[best] >= OTHER_LANGUAGE_CONFIDENCE


def by_combined(text: str) -> Tuple[str, float]:
    language, confidence = by_cues(text)
    if confidence >= 0.8:
        return language, confidence
    other, other_confidence = by_lingua(text)
    english, spanish = cue_scores(text)
    if not english and not spanish and len(_words(text)) <= 2:
        # "tysm", "cya", "medicaid?": too short to tell, whatever lingua says
        return other, min(other_confidence, 0.6)
    if confidence > 0.5 and other != language:
        return language, 0.5 + (confidence - 0.5) / 2  # the two disagree: unsure
    return other, max(other_confidence, confidence) if other == language else other_confidence


METHODS = {
    "cues": by_cues,
    "lingua": by_lingua,
    "lingua_high": lambda text: by_lingua(text, low_accuracy=False),
    "combined": by_combined,
}
DEFAULT_METHOD = "combined"


def detect(text: str, method: str = DEFAULT_METHOD) -> Detection:
    """The language of one (cleaned) message."""
    words = len(_words(text))
    language, confidence = METHODS[method](text) if words else (EN, 0.5)
    english, spanish = cue_scores(text)
    mixed = english >= 1 and spanish >= 1
    return Detection(language, confidence, words, requested(text), mixed)


def unsure(found: Detection) -> Detection:
    """The same detection without the confidence to set a conversation's language."""
    return Detection(found.language, 0.5, found.words, found.requested, found.mixed)
