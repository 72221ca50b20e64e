from addons.channels.shell import preview_phone
from common.phones import is_e164


def test_each_tester_gets_one_made_up_number():
    assert preview_phone("tester-a") == preview_phone("tester-a")
    assert preview_phone("tester-a") != preview_phone("tester-b")
    assert is_e164(preview_phone("tester-a")) and preview_phone("tester-a").startswith("+1555")
