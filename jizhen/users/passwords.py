"""Password hashing (bcrypt) and the password policy (length, letters and digits, and a strength
estimate by zxcvbn that also knows common Chinese pinyin passwords).

The bcrypt cost comes from JIZHEN_BCRYPT_ROUNDS (default 12; the tests lower it). Passwords
longer than bcrypt's 72 bytes are pre-hashed with SHA-256 so that no byte is silently ignored.
"""
from __future__ import annotations

import hashlib
import re
from typing import Iterable

import bcrypt

from jizhen.users.model import UserError

MIN_PASSWORD_LENGTH = 8
# zxcvbn score 0–4 (0: guessable within ~10^3 tries … 2: ~10^8 … 4: > 10^10). 2 refuses the
# common passwords, keyboard runs, words with a year or digits appended, and pinyin such as
# "woaini1314"; a passphrase or a random password passes.
MIN_PASSWORD_SCORE = 2

# Common Chinese passwords and their pinyin parts, weakest first (zxcvbn ranks earlier words as
# easier to guess). zxcvbn's own lists are English; these make "woaini1314", "zhangwei123" or
# "jizhen2026" as weak as "password1". Sources: the pinyin of the most frequent surnames and given
# names, the love/lucky number phrases and the place and product names a Siyang user would pick.
PINYIN_COMMON_WORDS: tuple[str, ...] = (
    "woaini", "aini", "woaiwojia", "nihao", "wohenhao", "zhongguo", "beijing", "shanghai",
    "jiangsu", "suqian", "siyang", "zhongxing", "jizhen", "wangge", "wanggeyuan", "wanggezhang",
    "minzheng", "jiuzhu", "shequ", "zhengfu", "mima", "mimamima", "laogong", "laopo", "baobao",
    "baobei", "xiaobao", "xiaoming", "xiaohong", "xiaoli", "xiaowang", "xiaozhang", "woshishui",
    "qwerty", "asdfgh", "zxcvbn", "yiersan", "yierqiyi", "wuyiling", "yiyiyi", "lingling",
    "zhangwei", "wangwei", "wangfang", "liwei", "wangxiuying", "lina", "zhangxiuying", "liuwei",
    "zhangmin", "lijing", "zhangli", "wangjing", "wangli", "zhangjing", "lixiuying", "zhangyong",
    "wangqiang", "zhangjie", "liqiang", "wanglei", "zhangyan", "lijun", "zhangtao", "wangjun",
    "wang", "li", "zhang", "liu", "chen", "yang", "zhao", "huang", "zhou", "wu", "xu", "sun",
    "hu", "zhu", "gao", "lin", "he", "guo", "ma", "luo", "liang", "song", "zheng", "xie", "han",
    "tang", "feng", "yu", "dong", "xiao", "cheng", "cao", "yuan", "deng", "fu", "shen", "zeng",
    "peng", "lv", "su", "lu", "jiang", "cai", "jia", "ding", "wei", "xue", "ye", "yan", "pan",
    "du", "dai", "xia", "zhong", "tian", "ren", "fan", "fang", "shi", "yao", "tan", "jin",
    "qian", "hao", "kong", "bai", "cui", "kang", "mao", "qiu", "qin",
    "1314", "520", "5201314", "1314520", "521", "888", "666", "168", "518", "147258369", "159753",
)

_WARNINGS_ZH = {
    "This is a top-10 common password.": "这是最常见的密码之一",
    "This is a top-100 common password.": "这是最常见的密码之一",
    "This is a very common password.": "这是很常见的密码",
    "This is similar to a commonly used password.": "与常见密码相似",
    "A word by itself is easy to guess.": "单个词语很容易被猜到",
    "Names and surnames by themselves are easy to guess.": "姓名很容易被猜到",
    "Common names and surnames are easy to guess.": "常见姓名很容易被猜到",
    "Straight rows of keys are easy to guess.": "键盘上连续的按键很容易被猜到",
    "Short keyboard patterns are easy to guess.": "简单的键盘图案很容易被猜到",
    'Repeats like "aaa" are easy to guess.': "重复字符很容易被猜到",
    'Repeats like "abcabcabc" are only slightly harder to guess than "abc".': "重复的片段很容易被猜到",
    "Sequences like abc or 6543 are easy to guess.": "abc、6543 这样的序列很容易被猜到",
    "Recent years are easy to guess.": "年份很容易被猜到",
    "Dates are often easy to guess.": "日期很容易被猜到",
}


def _rounds() -> int:
    """bcrypt's cost from the one Settings object (JIZHEN_BCRYPT_ROUNDS, kept within 4–16)."""
    from jizhen.settings import get_settings

    return get_settings().bcrypt_rounds


def _prepare(password: str) -> bytes:
    # bcrypt only reads 72 bytes (and bcrypt>=5 refuses longer input): pre-hash long passwords.
    raw = password.encode("utf-8")
    if len(raw) > 72:
        raw = hashlib.sha256(raw).hexdigest().encode("ascii")
    return raw


def hash_password(password: str) -> str:
    return bcrypt.hashpw(_prepare(password), bcrypt.gensalt(_rounds())).decode("ascii")


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(_prepare(password), password_hash.encode("ascii"))
    except (ValueError, TypeError):
        return False


_DUMMY_HASHES: dict[int, str] = {}


def burn_time(password: str) -> None:
    """Spend the time of one bcrypt check (at the current cost) so that an unknown username cannot
    be told from a wrong password by timing."""
    rounds = _rounds()
    if rounds not in _DUMMY_HASHES:
        _DUMMY_HASHES[rounds] = hash_password("jizhen-dummy-password")
    check_password(password, _DUMMY_HASHES[rounds])


def _strength(password: str, user_inputs: Iterable[str]) -> tuple[int, str]:
    """zxcvbn's score (0–4) and its own (English) warning when weak ("" otherwise)."""
    from zxcvbn import zxcvbn

    words = [w for w in user_inputs if w] + list(PINYIN_COMMON_WORDS)
    # zxcvbn's run time grows with the length; past 100 characters the score is 4 anyway.
    result = zxcvbn(password[:100], user_inputs=words)
    score = int(result["score"])
    if score >= MIN_PASSWORD_SCORE:
        return score, ""
    return score, str(result["feedback"].get("warning") or "")


def password_strength(password: str, user_inputs: Iterable[str] = ()) -> tuple[int, str]:
    """zxcvbn's score (0–4) for `password`, and a Chinese hint when it is weak ("" otherwise).
    `user_inputs` (username, display name) count as known words too."""
    score, warning = _strength(password, user_inputs)
    return score, _WARNINGS_ZH.get(warning, "")


def validate_password(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise UserError (Chinese message, English in ``en``) unless `password` is long enough, has
    letters and digits, has no blank at either end and is not easy to guess (zxcvbn score >=
    MIN_PASSWORD_SCORE)."""
    if password is None or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"密码至少 {MIN_PASSWORD_LENGTH} 位",
                        en=f"The password needs at least {MIN_PASSWORD_LENGTH} characters.",
                        code="password_short")
    if password.strip() != password:
        raise UserError("密码首尾不能有空格", en="The password may not begin or end with a blank.",
                        code="password_blank")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise UserError("密码须同时包含字母和数字", en="The password needs both letters and digits.",
                        code="password_letters_digits")
    score, warning_en = _strength(password, user_inputs)
    if score < MIN_PASSWORD_SCORE:
        warning = _WARNINGS_ZH.get(warning_en, "")
        why = f"（{warning}）" if warning else ""
        why_en = f" ({warning_en.rstrip('.')})" if warning_en else ""
        raise UserError(f"密码太容易被猜到{why}：请避开常见密码、拼音、姓名、年份和键盘顺序，"
                        f"可用更长的几个词组合",
                        en=f"The password is too easy to guess{why_en}: avoid common passwords, "
                           "pinyin, names, years and keyboard rows; a few words together make a "
                           "longer one.", code="password_weak")
