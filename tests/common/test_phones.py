"""One rule for masking a phone number, wherever it is shown."""

import pytest

from common.phones import is_e164, last_digits, mask_phone, mask_phones_in, parse_phone


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


@pytest.mark.parametrize(
    "text, number",
    [
        ("555-201-3344", "+15552013344"),
        ("(555) 201 3344", "+15552013344"),
        ("my number is 5552013344", "+15552013344"),
        ("mi numero es 555.201.3344", "+15552013344"),
        ("1-555-201-3344", "+15552013344"),
        ("+1 555 201 3344", "+15552013344"),
        ("+52 55 1234 5678", "+525512345678"),
        ("555 0123", None),  # too short
        ("012-345-6789", None),  # no area code starts with 0
        ("555-101-3344", None),  # nor an exchange with 1
        ("call 555-201-3344 or 555-201-3345", None),  # which one?
        ("will it hurt", None),
    ],
)
def test_parse_phone_reads_what_parents_type(text, number):
    assert parse_phone(text) == number
