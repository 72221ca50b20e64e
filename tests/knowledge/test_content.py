"""What parents read: plain, short, cited, safe, and in our own words."""

import re
import statistics

import pytest

from common.gsm7 import is_gsm7
from common.paths import PROJECT_ROOT
from knowledge.loader import explanation_words

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"
WORD = re.compile(r"[a-z0-9']+")


def grade_texts(knowledge):
    """(entry id, field, filled text) for every answer text."""
    return [
        (e.id, f, knowledge.fill(getattr(e, f), None, f))
        for e in knowledge.entries.values()
        for f in ("chat", "sms")
    ]


def words(text):
    return WORD.findall(text.lower().replace("\u2019", "'"))


def test_every_answer_is_at_most_grade_8_and_median_at_most_7(knowledge, readability):
    grades = {
        (entry, field): readability.flesch_kincaid_grade(text)
        for entry, field, text in grade_texts(knowledge)
    }
    too_hard = {key: round(g, 1) for key, g in grades.items() if g > 8.0}
    assert not too_hard, f"answers above grade 8: {too_hard}"
    chat = [g for (entry, field), g in grades.items() if field == "chat"]
    assert statistics.median(chat) <= 7.0


def test_chat_answers_are_at_most_90_words_besides_their_safety_lines(knowledge):
    long = {
        e.id: explanation_words(knowledge, e)
        for e in knowledge.entries.values()
        if explanation_words(knowledge, e) > 90
    }
    assert not long


def test_sms_answers_fit_and_are_gsm7(knowledge):
    for entry in knowledge.entries.values():
        for procedure in (None, "pulpotomy", "pulpectomy"):
            sms = knowledge.fill(entry.sms, procedure, "sms")
            assert len(sms) <= 300, entry.id
            assert is_gsm7(sms), entry.id


def test_topic_and_safety_answers_cite_known_sources(knowledge):
    for entry in knowledge.entries.values():
        if entry.file in ("topics.yml", "safety.yml"):
            line = knowledge.reply(entry.id).source_line
            assert line.startswith("Source"), entry.id
            assert all(s in knowledge.sources for s in entry.sources)


def test_answers_cite_the_seed_articles_by_publisher_and_title(knowledge):
    line = knowledge.reply("why_not_extract").source_line
    assert "Cleveland Clinic Health Essentials" in line
    assert "Pulpotomy vs. Pulpectomy" in line


@pytest.mark.skipif(not SEEDS.exists(), reason="../shared/seeds is not beside the checkout")
def test_no_sentence_is_copied_from_the_seed_articles(knowledge):
    runs = set()
    for seed in SEEDS.glob("*.txt"):
        seed_words = words(seed.read_text(encoding="utf-8"))
        runs.update(tuple(seed_words[i : i + 8]) for i in range(len(seed_words) - 7))
    for entry in knowledge.entries.values():
        for text in (entry.chat, entry.sms):
            answer = words(text)
            copied = [
                " ".join(answer[i : i + 8])
                for i in range(len(answer) - 7)
                if tuple(answer[i : i + 8]) in runs
            ]
            assert not copied, f"{entry.id} repeats a seed article: {copied[0]!r}"


def test_seed_errors_are_corrected(knowledge):
    antibiotics = knowledge.reply("antibiotics").text.lower()
    assert "not always" in antibiotics or "only" in antibiotics
    assert "always prescribe" not in antibiotics
    pulpotomy = knowledge.reply("what_is_pulpotomy").text.lower()
    assert "baby" in pulpotomy and "permanent tooth" not in pulpotomy


def test_answers_never_diagnose_or_call_symptoms_normal(knowledge):
    for entry in knowledge.entries.values():
        text = knowledge.fill(entry.chat).lower()
        assert not re.search(
            r"\b(is|are|that's|it's) (completely |totally |perfectly )?normal\b", text
        ), entry.id
        assert not re.search(r"your child (needs|has) an? (pulpotomy|pulpectomy)", text), entry.id


def test_every_domain_intent_has_an_answer(knowledge, domain):
    special = {"report_red_flag", "ask_topic"}
    for intent in domain["intents"]:
        if intent in special:
            continue
        assert knowledge.topic_for(intent) in knowledge.entries, intent


def test_procedure_aware_answers_differ_by_procedure(knowledge):
    steps_otomy = knowledge.reply(knowledge.topic_for("ask_procedure_steps", "pulpotomy"))
    steps_ectomy = knowledge.reply(knowledge.topic_for("ask_procedure_steps", "pulpectomy"))
    assert steps_otomy.text != steps_ectomy.text
    assert "pulpectomy" in knowledge.reply("pain", "pulpectomy").text
