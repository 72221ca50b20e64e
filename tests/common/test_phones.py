"""One rule for masking a phone number, wherever it is shown."""

from common.phones import is_e164, last_digits, mask_phone, mask_phones_in


def test_a_number_keeps_its_last_two_digits_only():
    assert mask_phone("+15551234567") == "+***-**67"
    assert mask_phone("(555) 010-0123") == "+***-**23"
    assert mask_phone("") == "+***"
    assert last_digits("+15551234567") == "67"


def test_numbers_inside_text_are_masked():
    text = "call me at 555-010-0123 or +15551234567, ref 12"
    assert mask_phones_in(text) == "call me at +***-**23 or +***-**67, ref 12"


def test_e164():
    assert is_e164("+15551234567")
    assert not is_e164("5551234567") and not is_e164("+0123") and not is_e164(None)
