"""The password policy and hashing (jizhen.users.passwords), without a database."""
from __future__ import annotations

import re

import pytest

from jizhen.users import (MIN_PASSWORD_SCORE, UserError, check_password, hash_password,
                          password_strength, random_password, validate_password)
from jizhen.users.demo import DEMO_PASSWORD_LENGTH


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch):
    monkeypatch.setenv("JIZHEN_BCRYPT_ROUNDS", "4")


@pytest.mark.parametrize("pw", ["password1", "Password123", "qwerty123456", "abc123abc123", "iloveyou1"])
def test_common_passwords_are_refused_in_chinese(pw):
    with pytest.raises(UserError) as err:
        validate_password(pw)
    assert "密码太容易被猜到" in str(err.value)
    assert not re.search(r"[A-Za-z]{4,}", str(err.value))  # no English feedback leaks through


def test_password1_says_why():
    with pytest.raises(UserError, match="这是很常见的密码"):
        validate_password("password1")


@pytest.mark.parametrize("pw", ["woaini1314", "zhangwei123", "jizhen2026", "wangge2026", "Siyang2026",
                                "woaiwojia520"])
def test_common_pinyin_passwords_are_refused(pw):
    with pytest.raises(UserError, match="太容易被猜到"):
        validate_password(pw)


def test_pinyin_list_is_what_makes_them_weak():
    from zxcvbn import zxcvbn

    # zxcvbn alone scores these as acceptable; the pinyin list brings them below the bar.
    for pw in ("zhangwei123", "Siyang2026"):
        assert zxcvbn(pw)["score"] >= MIN_PASSWORD_SCORE
        assert password_strength(pw)[0] < MIN_PASSWORD_SCORE


def test_the_username_in_the_password_counts_against_it():
    validate_password("Liuxiang2026")  # fine on its own …
    with pytest.raises(UserError, match="太容易被猜到"):
        validate_password("Liuxiang2026", user_inputs=("liuxiang2026",))  # … not for that user


@pytest.mark.parametrize("pw", ["Gridpass2026", "tiaoxi-qiao-87-yun", "Correct horse battery 9"])
def test_strong_passwords_pass(pw):
    validate_password(pw)
    score, hint = password_strength(pw)
    assert score >= MIN_PASSWORD_SCORE and hint == ""


@pytest.mark.parametrize("pw,message", [("Ab1", "至少 8 位"), ("abcdefghijkl", "字母和数字"),
                                        (" Gridpass2026", "首尾不能有空格")])
def test_basic_rules_come_first(pw, message):
    with pytest.raises(UserError, match=message):
        validate_password(pw)


def test_random_passwords_are_strong_unique_and_typeable():
    pws = [random_password() for _ in range(50)]
    assert len(set(pws)) == 50
    for pw in pws[:10]:
        assert len(pw) == DEMO_PASSWORD_LENGTH and not set(pw) & set("0O1lI")
        validate_password(pw)


def test_hashes_are_salted_bcrypt():
    h1, h2 = hash_password("Gridpass2026"), hash_password("Gridpass2026")
    assert h1 != h2 and h1.startswith("$2b$04$")
    assert check_password("Gridpass2026", h1) and not check_password("Gridpass2027", h1)
    assert not check_password("Gridpass2026", "not-a-hash")
