"""The loader refuses content that is not fit to serve, naming file and entry."""

import shutil
from pathlib import Path

import pytest
import yaml

from common.paths import PROJECT_ROOT
from knowledge import CONTENT_DIR, KnowledgeError, load_knowledge

PRACTICE = PROJECT_ROOT / "practice.yml"


@pytest.fixture
def content(tmp_path):
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


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
