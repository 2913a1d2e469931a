from notifications.checks import sending_timeout_outlasts_a_delivery


def test_default_timeouts_pass_the_check():
    assert sending_timeout_outlasts_a_delivery() == []


def test_a_sending_timeout_shorter_than_a_slow_delivery_is_a_warning(settings):
    settings.EMAIL_TIMEOUT = 30
    settings.NOTIFY_SENDING_TIMEOUT = 120

    [warning] = sending_timeout_outlasts_a_delivery()

    assert warning.id == "notifications.W001"
    assert "it would go out twice" in warning.msg
