import pytest
from django.core.exceptions import ValidationError

from core.validators import uscc_check_char, validate_uscc


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000802100433B"])
def test_real_world_credit_codes_pass(code):
    validate_uscc(code)


@pytest.mark.parametrize(
    "code, reason",
    [
        ("91350100M000100Y44", "uscc_check_digit"),
        ("9135010OM000100Y43", "uscc_charset"),
        ("91350100M000100Y4", "uscc_length"),
        ("91ABCDEFM000100Y43", "uscc_region"),
    ],
)
def test_bad_credit_codes_fail_with_reason(code, reason):
    with pytest.raises(ValidationError) as error:
        validate_uscc(code)
    assert error.value.code == reason


def test_check_char_round_trip():
    body = "91510100MA61R5QP5"
    assert validate_uscc(body + uscc_check_char(body)) is None
