"""The Spanish answers (knowledge/content/es/): loaded, checked against the English
ones, readable, short enough by SMS, and filled in with the practice's Spanish details."""

from pathlib import Path

import pytest
import yaml

from common.gsm7 import is_gsm7, segments, to_gsm7
from common.paths import PROJECT_ROOT
from knowledge import KnowledgeError, load_knowledge
from knowledge.loader import SMS
from knowledge.readability import (
    SPANISH_FERNANDEZ_HUERTA_MIN,
    SPANISH_SZIGRISZT_PAZOS_MIN,
    spanish_scores,
)

PRACTICE = PROJECT_ROOT / "practice.yml"


@pytest.fixture(scope="module")
def spanish():
    return load_knowledge(practice_file=PRACTICE).in_language("es")


def edit_spanish(content: Path, file: str, topic_id: str, **changes):
    path = content / "es" / file
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = next(e for e in entries if e["id"] == topic_id)
    entry.update(changes)
    path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return entries


def test_every_answer_is_in_both_languages(knowledge, spanish):
    assert set(spanish.entries) == set(knowledge.entries)
    for topic, entry in spanish.entries.items():
        english = knowledge.entries[topic]
        assert (entry.related, entry.sources) == (english.related, english.sources)
        assert entry.chat != english.chat, f"{topic}: not translated"


def test_an_answer_in_english_only_is_refused(content):
    path = content / "es" / "topics.yml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    path.write_text(
        yaml.safe_dump([e for e in entries if e["id"] != "crown"], allow_unicode=True),
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeError, match=r"no Spanish wording for crown"):
        load_knowledge(content, PRACTICE)


def test_an_answer_in_spanish_only_is_refused(content):
    path = content / "es" / "topics.yml"
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries.append({**entries[0], "id": "solo_en_espanol"})
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"'solo_en_espanol': no English answer"):
        load_knowledge(content, PRACTICE)


def test_a_spanish_answer_must_keep_the_english_placeholders(content):
    edit_spanish(content, "topics.yml", "pain", sms="Le dolerá un poco. Llame si le preocupa.")
    with pytest.raises(KnowledgeError, match=r"'pain': the sms placeholders differ"):
        load_knowledge(content, PRACTICE)


def test_a_spanish_answer_cannot_state_an_urgency_in_its_own_words(content):
    edit_spanish(content, "topics.yml", "crown", chat="Si se cae, vaya a emergencias.")
    with pytest.raises(KnowledgeError, match=r"'crown': chat says 'emergenc"):
        load_knowledge(content, PRACTICE)


def test_a_hard_spanish_answer_is_refused(content):
    hard = (
        "La intervención endodóntica pediátrica constituye un procedimiento terapéutico "
        "conservador cuya indicación depende fundamentalmente de consideraciones "
        "radiográficas, sintomatológicas e histopatológicas interrelacionadas."
    )
    edit_spanish(content, "topics.yml", "what_is_pulp", chat=hard)
    with pytest.raises(KnowledgeError, match=r"'what_is_pulp': chat answer reads at Fern"):
        load_knowledge(content, PRACTICE)


def test_every_spanish_answer_reads_fairly_easy_or_easier(spanish):
    texts = [spanish.fill(e.chat) for e in spanish.entries.values()]
    for text, (huerta, szigriszt) in zip(texts, spanish_scores(texts), strict=True):
        assert huerta >= SPANISH_FERNANDEZ_HUERTA_MIN, text
        assert szigriszt >= SPANISH_SZIGRISZT_PAZOS_MIN, text


def test_every_spanish_sms_is_at_most_two_segments_folded_to_gsm7(spanish):
    procedures = list(spanish.routes["procedure_names"])
    for topic, entry in spanish.entries.items():
        for procedure in procedures:
            text = to_gsm7(spanish.fill(entry.sms, procedure, SMS))
            assert is_gsm7(text) and segments(text) <= 2, (topic, len(text))


def test_spanish_replies_say_the_safety_table_in_spanish(spanish, knowledge):
    emergency = spanish.reply("red_flag_emergency").long_text
    assert "llame al 911" in emergency and "Call 911" not in emergency
    fever = spanish.reply("followup_well").long_text
    assert "38 C (100.4 F)" in fever  # the one threshold, said the Spanish way
    assert knowledge.thresholds.fever.c == 38


def test_the_practices_spanish_details_fill_the_spanish_answers(tmp_path):
    practice = yaml.safe_load(PRACTICE.read_text())
    practice["spanish"] = {
        "staff": True,
        "after_hours": "De noche, llame al mismo numero y marque 2.",
        "hours": "de lunes a viernes, de 8 am a 5 pm",
    }
    path = tmp_path / "practice.yml"
    path.write_text(yaml.safe_dump(practice, allow_unicode=True), encoding="utf-8")
    spanish = load_knowledge(practice_file=path).in_language("es")
    urgent = spanish.reply("red_flag_urgent").long_text
    assert "marque 2" in urgent and "hay personal que habla español" in urgent
    contact = spanish.reply("contact_practice").long_text
    assert "de lunes a viernes" in contact

    practice["spanish"] = {"staff": False}
    path.write_text(yaml.safe_dump(practice, allow_unicode=True), encoding="utf-8")
    spanish = load_knowledge(practice_file=path).in_language("es")
    assert "pida un intérprete" in spanish.reply("red_flag_urgent").long_text


def test_english_answers_cannot_use_the_spanish_staff_placeholder(content):
    path = content / "topics.yml"
    entries = yaml.safe_load(path.read_text())
    entries[0]["chat"] += " {spanish_staff}"
    path.write_text(yaml.safe_dump(entries, sort_keys=False))
    with pytest.raises(KnowledgeError, match=r"unknown placeholder '\{spanish_staff\}'"):
        load_knowledge(content, PRACTICE)
