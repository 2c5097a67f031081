"""GB 11643 ID numbers: known answers and each way an ID can be broken."""
from datetime import date

import pytest

from grid.ids import check_digit, id_number_problem, make_id_number


def test_check_digit_known_answer():
    # The standard's own worked example.
    assert check_digit("11010519491231002") == "X"
    assert id_number_problem("11010519491231002X") is None
    assert id_number_problem("11010519491231002x") is None


def test_make_id_number_is_valid_and_has_siyang_prefix():
    number = make_id_number("321323", date(1950, 3, 7), 12)
    assert number.startswith("32132319500307012")
    assert id_number_problem(number) is None


@pytest.mark.parametrize("raw, fragment", [
    ("110105194912310021", "校验位错误"),
    ("1101051949123100", "应为18位"),
    ("11010519491331002X", "出生日期"),
    ("1101051949123100AX", "前17位"),
    ("3.21323E+17", "科学计数法"),
    (321323195003070121, "数字"),
    (3.21323195003070e17, "数字"),
    ("321323195003070120.0", "数字"),
    (None, "为空"),
    (float("nan"), "为空"),
])
def test_broken_ids_are_explained_in_chinese(raw, fragment):
    problem = id_number_problem(raw)
    assert problem is not None and fragment in problem


def test_every_id_number_reason_has_its_english():
    """jizhen.ids gives each reason in Chinese (the str, as before) with its English in `.en`."""
    import re

    cases = [None, 321323198001010010, "3.2132E+17", "321323198001010010.0", "32132319800101001",
             "32132319800101001Y", "321323198002300011", "321323198001010010"]
    for raw in cases:
        reason = id_number_problem(raw)
        assert reason and reason.en and not re.search(r"[\u4e00-\u9fff]", reason.en), raw
    assert id_number_problem("321323198001010010") == "身份证号校验位错误（应为 X）"
    assert id_number_problem("321323198001010010").en == "the ID number's check digit is wrong (it should be X)"
