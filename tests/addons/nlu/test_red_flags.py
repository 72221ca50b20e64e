"""Deterministic red-flag detection on lemmas from the project's spaCy pipeline."""

import dataclasses

import pytest

from addons.nlu.red_flags import RedFlagDetector
from common.names import EMERGENCY, URGENT
from common.thresholds import table


@pytest.fixture(scope="module")
def detector():
    return RedFlagDetector.from_file()


@pytest.fixture
def severity(detector, nlp):
    def check(text):
        doc = nlp(text.lower())
        return detector.severity((t.text, t.lemma_) for t in doc)

    return check


@pytest.mark.parametrize(
    "text",
    [
        "my son is having trouble breathing since this morning",
        "she cant swallow anything, even water",
        "hard for him to swallow and hes drooling",
        "swelling is going up toward her eye",
        "his eye is almost swollen shut",
        "the swelling is spreading down his neck",
        "his neck looks fat on one side",
        "lump under the jaw on his neck is getting bigger and swollen",
        "it wont stop bleeding its been an hour after the pulpectomy",
        "she's breathing weird and her face is puffy",
    ],
)
def test_emergencies(severity, text):
    assert severity(text) == EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "his cheek is swollen",
        "her face looks puffy on one side after the pulpotomy",
        "dd has a fevr of 101.5",
        "temp is 38.9 since last night",
        "there is pus coming from the gum above the crown",
        "theres a little pimple on his gum by the crowned tooth",
        "white bump on gum with yellow stuff draining",
        "he fell off the bike and broke his front tooth, lots of blood",
        "tooth got knocked out at soccer",
        "we gave tylenol and motrin and nothing is helping the pain",
        "advil isnt touching it",
        "she cant open her mouth all the way",
        "is some swelling normal after a pulpotomy?",
        "a little puffiness on her jaw since last night, should i be worried",
        "his tooth hurts worse each day and the ibuprofen doesnt do anything now",
        "the motrin wears off after an hour and she is crying again",
        "nothing we try helps her toothache",
        "weve tried everything and he is still hurting",
        "the abscess on his gum popped and its draining",
        "ive given the max dose of ibuprofen and its doing nothing",
        "motrin does nothing for him",
        "the pain is way worse than yesterday even though they said soreness is normal",
        "ok so my daughter had the pulpectomy tuesday and she was fine and ate dinner "
        "and watched tv but this morning her jaw is swollen and she says it hurts when "
        "she chews, anyway my real question is about the crown color",
    ],
)
def test_call_the_practice_now(severity, text):
    assert severity(text) in (URGENT, EMERGENCY)


@pytest.mark.parametrize(
    "text",
    [
        "what is a pulpotomy",
        "will it hurt",
        "will the pain be worse than a filling",
        "is a pulpectomy worse than a pulpotomy",
        "the dentist said abscess, should she be on antibiotics first",
        "what if we do nothing about the tooth",
        "is her neck going to be sore from lying back in the chair",
        "no fever and no swelling, when can she eat",
        "he doesn't have a fever, can he go to school tomorrow",
        "does the crown fall out with the tooth",
        "does the crown come out with the tooth",
        "will the crown fall out when the tooth does",
        "is it normal that its still bleeding a little",
        "will they knock him out for it",
        "how do i stop this from happening again",
        "is it safe for a 4 year old",
        "how long will the numbness last, he keeps chewing his lip",
        "what can i give him for pain after",
        "can antibiotics clear the infection instead",
        "why not just pull the tooth",
        "how much does a baby root canal cost",
        "nothing to eat for an hour after, right?",
        "we tried everything to get him to brush",
        "when the tylenol wears off will it hurt?",
        "she can keep water down fine, when can she eat",
        "is day 3 usually the worst for soreness",
        "how long does bleeding last after a pulpotomy, a few hours?",
    ],
)
def test_ordinary_questions_are_not_flagged(severity, text):
    assert severity(text) is None


def test_negation_does_not_hide_a_second_symptom(severity):
    assert severity("no fever but his cheek is swollen") == URGENT


def test_most_severe_flag_comes_first(detector, nlp):
    doc = nlp("fever and now her eye is swollen")
    flags = detector.detect((t.text, t.lemma_) for t in doc)
    assert flags[0].severity == EMERGENCY
    assert {f.rule for f in flags} >= {"fever", "swelling_eye"}


def test_patterns_with_unknown_vocabulary_are_refused():
    with pytest.raises(ValueError, match="unknown vocabulary"):
        RedFlagDetector({"rules": [{"id": "fever", "patterns": ["NOPE"]}]})


def test_a_rule_must_be_a_sign_of_the_thresholds_table():
    with pytest.raises(ValueError, match="thresholds.yml"):
        RedFlagDetector({"rules": [{"id": "made_up", "patterns": ["fever"]}]})
    with pytest.raises(ValueError, match="thresholds.yml"):  # routine signs have no pattern
        RedFlagDetector({"rules": [{"id": "numbness", "patterns": ["numb"]}]})


def test_a_rule_cannot_state_its_own_severity():
    with pytest.raises(ValueError, match="severity comes from the thresholds table"):
        RedFlagDetector({"rules": [{"id": "fever", "severity": "urgent", "patterns": ["x"]}]})


def test_the_fever_threshold_is_read_from_the_table(nlp):
    spec = {"rules": [{"id": "fever", "patterns": ["TEMP ~4 #FEVER"]}], "vocab": {"TEMP": "temp"}}
    shipped = RedFlagDetector(spec)
    stricter = RedFlagDetector(
        spec, dataclasses.replace(table(), fever=dataclasses.replace(table().fever, f=101.0))
    )

    def fires(detector, text):
        return bool(detector.detect((t.text, t.lemma_) for t in nlp(text)))

    assert fires(shipped, "temp 100.4") and fires(shipped, "temp 38c")
    assert not fires(shipped, "temp 100.3") and not fires(shipped, "temp 37.9")
    assert not fires(stricter, "temp 100.6") and fires(stricter, "temp 101")
    assert not fires(shipped, "temp 1000")  # not a body temperature


@pytest.mark.parametrize(
    "text, sign",
    [
        ("his crown came off at lunch", "loose_crown"),
        ("the silver cap on her molar is wiggly", "loose_crown"),
        ("she swallowed the crown but seems fine", "loose_crown"),
        ("he swallowed his crown and now hes coughing", "crown_in_airway"),
        ("her mouth is all swollen", "swelling_mouth"),
        ("he cant open his mouth", "cannot_open_mouth"),
        ("she swallowed the cap and now her breathing sounds whistly", "trouble_breathing"),
        ("the crown went down the wrong way and he keeps coughing", "crown_in_airway"),
        ("her adult tooth came out when she got hit by a ball", "knocked_out_tooth"),
        ("bled through two gauze pads since we got home", "bleeding_wont_stop"),
        # Found by the second content blind set (2026-12-01; reworded here)
        ("the swelling under her chin is creeping down into her neck", "swelling_neck"),
        ("he is really unwell and hot, the tooth was done friday", "very_ill"),
        ("her cheek is puffy all the way down toward her throat", "swelling_neck"),
        ("its bleeding nonstop from where the tooth was", "bleeding_wont_stop"),
        ("still bleeding for over an hour now", "bleeding_wont_stop"),
        ("blood keeps coming even with him biting on gauze", "bleeding_wont_stop"),
        ("fine on day one, but on day three the pain is worse", "pain_not_eased"),
        ("the soreness is much worse now than this morning", "pain_not_eased"),
        ("after going under he cant keep anything down", "dehydration"),
        ("she has thrown up three times and wont keep fluids down", "dehydration"),
    ],
)
def test_the_new_signs_reach_the_tier_the_table_gives_them(detector, nlp, text, sign):
    flags = detector.detect((t.text, t.lemma_) for t in nlp(text.lower()))
    assert flags and flags[0].rule == sign
    assert flags[0].severity == table().signs[sign].tier
