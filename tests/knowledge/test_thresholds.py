"""One table of safety thresholds, rendered everywhere a safety line is said.

These fail when an answer says "911" or an urgency in its own words, when a
red-flag pattern's severity or reply disagrees with the table, or when a red-flag
reply leaves out a sign of its tier.
"""

import pytest
import yaml

from addons.nlu.red_flags import PATTERN_FILE, RedFlagDetector
from common.names import EMERGENCY, URGENT
from common.thresholds import ROUTINE, table
from knowledge.loader import SAFETY, URGENCY


def raw_texts(knowledge):
    for entry in knowledge.entries.values():
        for field in ("title", "chat", "sms"):
            yield entry.id, field, getattr(entry, field)


def test_no_answer_states_an_urgency_in_its_own_words(knowledge):
    offenders = [
        (topic, field, URGENCY.search(SAFETY.sub("", text)).group(0))
        for topic, field, text in raw_texts(knowledge)
        if URGENCY.search(SAFETY.sub("", text))
    ]
    assert not offenders, offenders


def test_the_urgency_check_catches_a_hand_written_line():
    assert URGENCY.search("For trouble breathing, call 911.")
    assert URGENCY.search("Call the office the same day.")
    assert URGENCY.search("If it swells, call us today.")
    assert not URGENCY.search(SAFETY.sub("", "Soft food helps. {safety:fever}"))


def test_every_safety_line_in_the_answers_is_rendered_from_the_table(knowledge):
    rendered = [
        knowledge.fill(text) for topic, field, text in raw_texts(knowledge) if field == "chat"
    ]
    nine_one_one = [t for t in rendered if "911" in t]
    assert nine_one_one, "no answer tells a parent when to call 911"
    action = knowledge.thresholds.tiers[EMERGENCY].chat
    for text in nine_one_one:
        assert action in text.lower()  # the one wording, every time


def test_each_red_flag_rule_is_a_sign_of_the_table():
    rules = yaml.safe_load(PATTERN_FILE.read_text())["rules"]
    signs = table().signs
    for rule in rules:
        sign = rule.get("sign", rule["id"])
        assert sign in signs, rule["id"]
        assert "severity" not in rule, f"{rule['id']}: severity belongs to the table"
        assert signs[sign].tier in (EMERGENCY, URGENT)


@pytest.fixture(scope="module")
def detector():
    return RedFlagDetector.from_file()


@pytest.mark.parametrize(
    "sign", [s for s in table().signs.values() if s.examples], ids=lambda s: s.id
)
def test_each_signs_examples_reach_its_tier_and_a_reply_that_names_it(
    sign, detector, nlp, knowledge
):
    for example in sign.examples:
        flags = detector.detect((t.text, t.lemma_) for t in nlp(example.lower()))
        if sign.tier == ROUTINE:
            assert not flags, f"{example!r} is usually normal, not a red flag"
            continue
        assert flags, f"{example!r} was not caught"
        assert flags[0].severity == sign.tier, example
        assert sign.id in [f.rule for f in flags], example
        topic = knowledge.red_flag_topic(flags[0].severity, [f.rule for f in flags])
        expected = sign.reply or knowledge.thresholds.tiers[sign.tier].reply
        assert topic == expected, example
        reply = knowledge.reply(topic).text.lower()
        assert knowledge.fill(sign.chat).lower() in reply, f"{topic} does not mention {sign.id}"


@pytest.mark.parametrize("tier", [EMERGENCY, URGENT])
def test_each_tier_reply_lists_every_sign_of_its_tier(knowledge, tier):
    reply = knowledge.reply(knowledge.thresholds.tiers[tier].reply).text.lower()
    for sign in knowledge.thresholds.signs_of(tier):
        assert knowledge.fill(sign.chat).lower() in reply, f"{tier} reply leaves out {sign.id}"


def test_the_urgent_reply_also_says_when_to_call_911(knowledge):
    reply = knowledge.reply(knowledge.thresholds.tiers[URGENT].reply)
    assert "911" in reply.text and "911" in reply.sms


def test_the_fever_threshold_is_said_as_the_table_sets_it(knowledge):
    fever = knowledge.thresholds.fever
    urgent = knowledge.reply(knowledge.thresholds.tiers[URGENT].reply).text
    assert f"{fever.f:g} F ({fever.c:g} C)" in urgent


def test_a_sign_specific_reply_still_carries_its_tier_action(knowledge):
    for sign in knowledge.thresholds.signs.values():
        if sign.reply:
            tier = knowledge.thresholds.tiers[sign.tier]
            reply = knowledge.reply(sign.reply)
            assert knowledge.fill(tier.chat).lower() in reply.text.lower(), sign.id
            assert knowledge.fill(tier.sms).lower() in reply.sms.lower(), sign.id


def test_every_table_sign_cites_known_sources(knowledge):
    for sign in knowledge.thresholds.signs.values():
        assert sign.sources, sign.id
        assert all(key in knowledge.sources for key in sign.sources), sign.id
