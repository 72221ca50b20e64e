"""Conversation ids carry their channel."""

from common.conversations import conversation_id, own_id, phone_of, sms_conversation, split
from common.names import CHANNEL_REST, CHANNEL_SMS, CHANNEL_WEB


def test_each_channel_has_its_own_namespace():
    assert conversation_id(CHANNEL_SMS, "+15551234567") == "sms:+15551234567"
    assert conversation_id(CHANNEL_REST, "+15551234567") == "rest:+15551234567"
    assert conversation_id(CHANNEL_WEB, "a" * 32) == "web:" + "a" * 32
    assert conversation_id(CHANNEL_REST, "sms:+15551234567") == "rest:sms:+15551234567"


def test_a_rest_sender_that_looks_like_an_sms_id_stays_a_rest_conversation():
    stored = conversation_id(CHANNEL_REST, "sms:+15551234567")
    assert split(stored) == (CHANNEL_REST, "sms:+15551234567")
    assert phone_of(stored) is None and own_id(stored, CHANNEL_SMS) is None


def test_only_sms_conversations_have_a_phone():
    assert phone_of(sms_conversation("+15551234567")) == "+15551234567"
    assert phone_of("+15551234567") is None  # an old, unprefixed id: migrate it first
    assert phone_of("sms:not-a-number") is None
    assert split("+15551234567") == (None, "+15551234567")
