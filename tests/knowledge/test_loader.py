"""The loader refuses content that is not fit to serve, naming file and entry."""

from pathlib import Path

import pytest
import yaml

from common.paths import PROJECT_ROOT
from knowledge import KnowledgeError, load_knowledge

PRACTICE = PROJECT_ROOT / "practice.yml"


def edit_topic(content: Path, topic_id: str, **changes):
    path = content / "topics.yml"
    entries = yaml.safe_load(path.read_text())
    entry = next(e for e in entries if e["id"] == topic_id)
    for key, value in changes.items():
        if value is None:
            entry.pop(key)
        else:
            entry[key] = value
    path.write_text(yaml.safe_dump(entries, sort_keys=False))


def test_shipped_content_loads(knowledge):
    assert "what_is_pulpotomy" in knowledge.entries
    assert knowledge.practice["name"]


def test_missing_field_names_file_and_entry(content):
    edit_topic(content, "crown", sources=None)
    with pytest.raises(
        KnowledgeError, match=r"topics\.yml: entry 'crown': missing field\(s\) sources"
    ):
        load_knowledge(content, PRACTICE)


def test_unknown_related_topic_is_refused(content):
    edit_topic(content, "crown", related=["difference", "no_such_topic"])
    with pytest.raises(
        KnowledgeError, match=r"entry 'crown': unknown related topic 'no_such_topic'"
    ):
        load_knowledge(content, PRACTICE)


def test_unknown_source_is_refused(content):
    edit_topic(content, "antibiotics", sources=["made_up_source"])
    with pytest.raises(
        KnowledgeError, match=r"entry 'antibiotics': unknown source 'made_up_source'"
    ):
        load_knowledge(content, PRACTICE)


def test_sms_over_limit_is_refused(content):
    edit_topic(content, "prevention", sms="Brush twice a day. " * 20)
    with pytest.raises(KnowledgeError, match=r"entry 'prevention': SMS answer is \d+ characters"):
        load_knowledge(content, PRACTICE)


def test_sms_with_emoji_or_curly_quotes_is_refused(content):
    edit_topic(content, "prevention", sms="Brush twice a day \u2019 \U0001f600")
    with pytest.raises(KnowledgeError, match="non-GSM-7"):
        load_knowledge(content, PRACTICE)


def test_sms_limit_counts_the_practice_details(content, tmp_path):
    practice = yaml.safe_load(PRACTICE.read_text())
    practice["name"] = "A Very Long Practice Name " * 12
    custom = tmp_path / "practice.yml"
    custom.write_text(yaml.safe_dump(practice))
    with pytest.raises(KnowledgeError, match="SMS answer is"):
        load_knowledge(content, custom)


def test_unknown_placeholder_is_refused(content):
    edit_topic(content, "crown", chat="Call {dentist_cell} now.")
    with pytest.raises(KnowledgeError, match=r"unknown placeholder '\{dentist_cell\}'"):
        load_knowledge(content, PRACTICE)


def test_missing_practice_setting_is_refused(content, tmp_path):
    practice = yaml.safe_load(PRACTICE.read_text())
    del practice["phone"]
    custom = tmp_path / "practice.yml"
    custom.write_text(yaml.safe_dump(practice))
    with pytest.raises(KnowledgeError, match="practice setting\\(s\\) missing: phone"):
        load_knowledge(content, custom)


def test_practice_file_from_environment(monkeypatch, tmp_path):
    practice = yaml.safe_load(PRACTICE.read_text())
    practice.update(name="Maple Street Kids Dentistry", phone="(555) 777-0000")
    custom = tmp_path / "practice.yml"
    custom.write_text(yaml.safe_dump(practice))
    monkeypatch.setenv("PRACTICE_FILE", str(custom))
    knowledge = load_knowledge()
    reply = knowledge.reply("contact_practice")
    assert "(555) 777-0000" in reply.text
    assert "Maple Street Kids Dentistry" in knowledge.reply("greet").text


# --- the safety table and the practice's own choices and wording ---------------
def practice_copy(tmp_path, **extra) -> Path:
    practice = yaml.safe_load(PRACTICE.read_text())
    practice.update(extra)
    path = tmp_path / "practice.yml"
    path.write_text(yaml.safe_dump(practice, sort_keys=False))
    return path


def test_an_unknown_safety_sign_is_refused(content):
    edit_topic(content, "crown", chat="A crown seals the tooth. {safety:made_up_sign}")
    with pytest.raises(KnowledgeError, match=r"entry 'crown': unknown sign 'made_up_sign'"):
        load_knowledge(content, PRACTICE)


def test_one_safety_placeholder_cannot_mix_tiers(content):
    edit_topic(content, "crown", chat="A crown seals the tooth. {safety:fever,trouble_breathing}")
    with pytest.raises(KnowledgeError, match=r"entry 'crown': .* mixes tiers"):
        load_knowledge(content, PRACTICE)


def test_a_source_with_known_errors_cannot_be_cited(content):
    edit_topic(content, "crown", sources=["teethbuddies_page"])
    with pytest.raises(KnowledgeError, match=r"entry 'crown': source 'teethbuddies_page' has"):
        load_knowledge(content, PRACTICE)


def test_answers_adapt_to_the_practices_choices(tmp_path):
    plain = load_knowledge(practice_file=practice_copy(tmp_path, choices={}))
    assert "Ask the office which crowns they offer." in plain.reply("crown_types").text
    declared = load_knowledge(
        practice_file=practice_copy(
            tmp_path, choices={"crowns": ["steel"], "insurance": ["Medicaid", "Delta Dental"]}
        )
    )
    name = declared.practice["name"]
    assert f"{name} offers stainless steel crowns." in declared.reply("crown_types").text
    assert "white zirconia" not in declared.choice_sentence("crowns")
    assert f"{name} takes Medicaid and Delta Dental." in declared.reply("cost_insurance").text


def test_an_unknown_choice_or_value_names_the_practice_file(tmp_path):
    with pytest.raises(KnowledgeError, match=r"practice\.yml: choices\.crowns: unknown value"):
        load_knowledge(practice_file=practice_copy(tmp_path, choices={"crowns": ["gold"]}))
    with pytest.raises(KnowledgeError, match=r"practice\.yml: choices\.valet: unknown choice"):
        load_knowledge(practice_file=practice_copy(tmp_path, choices={"valet": "yes"}))


SPANISH_OWN = "Su dentista tapa el diente con una corona. Se cae con el diente."


def write_overrides(tmp_path, entries, spanish: bool = True) -> Path:
    """The practice's own wording; each entry also in Spanish (the loader needs both)."""
    if spanish:
        entries = entries + [
            {
                "id": e["id"],
                "language": "es",
                "chat": SPANISH_OWN,
                "sms": SPANISH_OWN,
                "reviewed": "2026-12-01",
            }
            for e in entries
        ]
    (tmp_path / "overrides.yml").write_text(yaml.safe_dump(entries, sort_keys=False))
    return practice_copy(tmp_path, overrides="overrides.yml")


def test_a_practice_can_replace_an_answer_in_its_own_words(tmp_path):
    own = "Our dentist covers the tooth with a steel crown. It falls out with the tooth."
    practice = write_overrides(
        tmp_path, [{"id": "crown", "chat": own, "sms": own, "reviewed": "2026-12-01"}]
    )
    knowledge = load_knowledge(practice_file=practice)
    reply = knowledge.reply("crown")
    assert reply.long_text == own and reply.sms == own
    assert knowledge.entries["crown"].overridden
    assert reply.source_line  # the shipped sources stay unless replaced
    assert not knowledge.entries["pain"].overridden
    spanish = knowledge.in_language("es").reply("crown")
    assert spanish.long_text == SPANISH_OWN and spanish.source_line.startswith("Fuente")


def test_a_practices_wording_in_one_language_only_is_refused(tmp_path):
    own = "Our dentist covers the tooth with a steel crown."
    practice = write_overrides(
        tmp_path,
        [{"id": "crown", "chat": own, "sms": own, "reviewed": "2026-12-01"}],
        spanish=False,
    )
    with pytest.raises(KnowledgeError, match=r"wording for crown is in one language only"):
        load_knowledge(practice_file=practice)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"sms": "x" * 301}, r"over the limit of 300"),
        ({"sms": "Brush \u2014 gently"}, r"non-GSM-7"),
        ({"chat": "Hello {nonsense}"}, r"unknown placeholder '\{nonsense\}'"),
        ({"sources": ["made_up"]}, r"unknown source 'made_up'"),
        (
            {
                "chat": "Notwithstanding considerable interdisciplinary uncertainty, "
                "endodontic interventions demonstrate substantially favorable "
                "radiographic prognoses."
            },
            r"reads at grade",
        ),
        ({"chat": "If it swells, call 911."}, r"says '911' in its own words"),
        ({}, r"replaces nothing"),
    ],
)
def test_a_practices_wording_is_checked_like_the_shipped_content(tmp_path, change, message):
    practice = write_overrides(tmp_path, [{"id": "crown", "reviewed": "2026-12-01", **change}])
    with pytest.raises(KnowledgeError, match=r"overrides\.yml: entry 'crown'.*" + message):
        load_knowledge(practice_file=practice)


def test_an_override_of_an_unknown_answer_is_refused(tmp_path):
    practice = write_overrides(tmp_path, [{"id": "nope", "chat": "x", "reviewed": "2026-12-01"}])
    with pytest.raises(KnowledgeError, match=r"overrides\.yml: entry 'nope': no shipped answer"):
        load_knowledge(practice_file=practice)
