"""Known answers for cases.public_text: what a public file may print (issue 9, defect 8)."""
from __future__ import annotations

import re

import pytest

from cases.public_text import mask_public_text, public_reason, public_text_cells
from grid.ids import make_id_number
from grid.privacy import mask_id_number, mask_name, mask_phone

ID18_X = "32132319800101123X"
ID15 = "321323800101123"


def test_eighteen_digit_id_with_x_is_masked():
    out = mask_public_text(f"身份证{ID18_X}，请核实")
    assert ID18_X not in out and ID18_X.lower() not in out
    assert out == f"身份证{mask_id_number(ID18_X)}，请核实"
    assert "19800101" not in out  # the birth date is gone


def test_lower_case_x_and_a_generated_valid_id():
    from datetime import date

    real = make_id_number("321323", date(1975, 6, 30), 7)
    out = mask_public_text(f"证号 {real.lower()} 与 {real}")
    assert real not in out and real.lower() not in out and "19750630" not in out


def test_fifteen_digit_old_id_is_masked():
    out = mask_public_text(f"旧身份证{ID15}。")
    assert ID15 not in out and "800101" not in out
    assert out == f"旧身份证{mask_id_number(ID15)}。"


@pytest.mark.parametrize("raw", ["13912345678", "139 1234 5678", "139-1234-5678", "+86 13912345678"])
def test_mobile_numbers_are_masked(raw):
    out = mask_public_text(f"联系电话：{raw}。")
    assert "1234" not in out
    assert mask_phone("13912345678") in out


@pytest.mark.parametrize("raw", ["0527-85212345", "(0527)85212345", "（0527）8521234", "052785212345",
                                 "025-83212345转123", "85212345"])
def test_landline_and_local_numbers_are_masked(raw):
    out = mask_public_text(f"座机{raw}找李老师")
    digits = re.sub(r"\D", "", raw)
    assert digits[-7:] not in re.sub(r"\D", "", out)
    assert out.startswith("座机") and out.endswith("找李老师")


def test_recipient_and_member_names_are_masked_longest_first():
    out = mask_public_text("欧阳小明的母亲欧阳娟和户主王大为来电", names=["欧阳小明", "欧阳娟", "王大为", None, ""])
    assert "欧阳小明" not in out and "欧阳娟" not in out and "王大为" not in out
    assert out == f"{mask_name('欧阳小明')}的母亲{mask_name('欧阳娟')}和户主{mask_name('王大为')}来电"


@pytest.mark.parametrize("text,expected", [
    ("住3号楼2单元501室", "住*号楼*单元***室"),
    ("幸福路12号", "幸福路**号"),
    ("东区5栋302室", "东区*栋***室"),
    ("10月12号上门核实", "10月12号上门核实"),  # a date, not a house number
    ("同意救助300.00元", "同意救助300.00元"),  # money is not personal data
])
def test_house_numbers(text, expected):
    assert mask_public_text(text) == expected


def test_known_address_is_masked_as_a_whole():
    addr = "众兴镇城中社区人民路88号"
    out = mask_public_text(f"家住{addr}，房屋失火", addresses=[addr])
    assert addr not in out and "88" not in out and out.startswith("家住众兴镇城中社")


def test_hotline_intake_text_leaves_nothing_personal():
    cause = ("12345转来：张三丰（身份证32132319800101123X，电话13912345678）家住人民路3号楼2单元501室，"
             "其子张小宝突发重病，座机0527-85212345")
    out = mask_public_text(cause, names=["张三丰", "张小宝"])
    for secret in ["张三丰", "张小宝", "32132319800101123X", "13912345678", "85212345", "501", "19800101"]:
        assert secret not in out
    assert out.startswith("12345转来")  # the hotline's own number is not a person's


def test_public_reason_is_category_and_masked_note_never_the_cause():
    assert public_reason("housing_loss") == "住房或生活设施严重损失"
    assert public_reason("housing_loss", "   ") == "住房或生活设施严重损失"
    r = public_reason("illness_or_disaster", "户主王大为突发脑梗住院，电话13912345678", names=["王大为"])
    assert r.startswith("家庭成员突发重病或自然灾害：")
    assert "王大为" not in r and "13912345678" not in r


def test_public_text_cells_masks_only_text_columns():
    row = {"救助事由": "电话13912345678", "审核意见": "张三丰情况属实", "金额": 300, "序号": 1}
    out = public_text_cells(row, ["救助事由", "审核意见", "金额"], names=["张三丰"])
    assert out["金额"] == 300 and out["序号"] == 1
    assert "13912345678" not in out["救助事由"] and "张三丰" not in out["审核意见"]
    assert row["救助事由"] == "电话13912345678"  # the input is not changed


def test_empty_and_none():
    assert mask_public_text(None) == "" and mask_public_text("") == ""
