"""The names code uses are the names the domain, the pipeline and Rasa declare."""

import yaml

from common import names
from common.paths import PROJECT_ROOT


def domain():
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def test_intents_entities_slots_and_actions_are_in_the_domain():
    d = domain()
    intents = set(d["intents"]) | {names.FALLBACK_INTENT}  # nlu_fallback is Rasa's own
    assert {
        names.RED_FLAG_INTENT,
        names.OUT_OF_SCOPE_INTENT,
        names.BUTTON_INTENT,
        names.FOLLOWUP_INTENT,
    } <= intents
    assert {names.PROCEDURE, names.TOPIC, names.INPUT_ISSUE, names.RED_FLAG} <= set(d["entities"])
    assert {names.PROCEDURE, names.LAST_TOPIC} <= set(d["slots"])
    assert {names.ACTION_ANSWER, names.ACTION_RED_FLAG, names.ACTION_FOLLOWUP} <= set(d["actions"])


def test_channel_names_are_the_channels_own():
    from addons.channels.rest import RestInput
    from addons.channels.sms.connector import TwilioSmsInput
    from addons.channels.webchat import WebChatInput

    assert RestInput.name() == names.CHANNEL_REST
    assert WebChatInput.name() == names.CHANNEL_WEB
    assert TwilioSmsInput.name() == names.CHANNEL_SMS


def test_severities_are_the_tiers_of_the_thresholds_table():
    tiers = yaml.safe_load((PROJECT_ROOT / "knowledge" / "content" / "thresholds.yml").read_text())
    assert {names.EMERGENCY, names.URGENT} <= set(tiers["tiers"])
