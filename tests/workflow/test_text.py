"""workflow.engine.text: the door every name, text and address passes before it is stored."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.engine import text
from workflow.errors import InputError


def test_clean_normalises_to_nfc() -> None:
    decomposed = "e\u0301"  # e + combining acute
    assert text.clean(decomposed, "name") == "\u00e9"
    assert text.clean("市法制办公室", "name") == "市法制办公室"


@pytest.mark.parametrize(
    "bad, shown",
    [
        ("\x1b[31m", "U+001B (control character)"),
        ("a\u202eb", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("a\u200bb", "U+200B (ZERO WIDTH SPACE)"),
        ("a\u2028b", "U+2028 (LINE SEPARATOR)"),
        ("line\nbreak", "U+000A (control character)"),
        ("\ufeffBOM", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
    ],
)
def test_clean_refuses_controls_and_invisible_formatting_naming_the_field_and_character(
    bad: str, shown: str
) -> None:
    with pytest.raises(InputError) as err:
        text.clean(bad, "--head")
    assert str(err.value).startswith("--head: contains " + shown)


def test_first_bad_is_none_for_plain_text_and_the_character_otherwise() -> None:
    assert text.first_bad("秘书科 Office-1") is None
    assert text.first_bad("ok\u0007bell\x00") == "\u0007"


def test_name_strips_and_refuses_blank() -> None:
    assert text.name("  信息科 ", "office name") == "信息科"
    for blank in ("", "   ", None):
        with pytest.raises(InputError, match="office name must not be empty"):
            text.name(blank, "office name")


def test_optional_is_none_when_absent_or_blank() -> None:
    assert text.optional(None, "head") is None
    assert text.optional("  ", "head") is None
    assert text.optional(" 王主任 ", "head") == "王主任"
    with pytest.raises(InputError):
        text.optional("x\x1by", "head")


def test_email_normalises_and_converts_an_internationalized_domain_to_ascii() -> None:
    assert text.email(None, "--email") is None
    assert text.email("  ", "--email") is None
    assert text.email(" Office1@Example.gov.cn ", "--email") == "Office1@example.gov.cn"
    assert text.email("office@例子.中国", "--email") == "office@xn--fsqu00a.xn--fiqs8s"


@pytest.mark.parametrize(
    "value, why",
    [
        ("not-an-address", "is not an e-mail address"),
        ("a@b@c.cn", "is not an e-mail address"),
        ('"Wang" <wang@example.cn>', "is not an e-mail address"),
        ("王主任@example.gov.cn", "has non-ASCII characters before the @"),
    ],
)
def test_email_refusals_say_why(value: str, why: str) -> None:
    with pytest.raises(InputError) as err:
        text.email(value, "--email")
    assert str(err.value).startswith(f"--email: '{value}' {why}")


def test_email_refuses_a_line_break_before_parsing() -> None:
    with pytest.raises(InputError, match="contains U\\+000D"):
        text.email("a@example.cn\r\nBcc: x@evil.cn", "--email")


def test_inert_escapes_what_could_drive_a_terminal_and_keeps_plain_text() -> None:
    assert text.inert("秘书科\n\tok") == "秘书科\n\tok"
    assert text.inert("\x1b]0;title\x07") == "\\x1b]0;title\\x07"
    assert text.inert("a\u202eb\U000e0041") == "a\\u202eb\\U000e0041"
    assert text.inert("one\nline\tkept", one_line=True) == "one\\x0aline\tkept"


def test_tags_split_on_any_separator_sorted_unique_and_blanks_dropped() -> None:
    assert text.tags("窗口单位、涉企部门; 窗口单位,，|", "--tags") == ("涉企部门", "窗口单位")
    assert text.tags("", "--tags") == () and text.tags(None, "--tags") == ()
    with pytest.raises(InputError, match="--tags: contains U\\+200B"):
        text.tags("涉企\u200b部门", "--tags")


def test_the_isprintable_fast_path_lets_no_refused_character_through() -> None:
    # first_bad() and inert() skip the per-character look when str.isprintable() holds: sound
    # only if no character of a refused category is printable, on this Python's Unicode tables.
    slipped = [
        f"U+{c:04X}"
        for c in range(0x110000)
        if unicodedata.category(chr(c)) in text.BAD_CATEGORIES and chr(c).isprintable()
    ]
    assert slipped == []
    assert text.first_bad("a\u202eb") == "\u202e"
    assert text.inert("x\u2028y\u00ad") == "x\\u2028y\\xad"


def _validator(raw: str) -> tuple[str | None, str | None]:
    """The validator's own answer, in ``_checked_email``'s terms (the fast path bypassed)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        checked = validate_email(
            raw, check_deliverability=False, allow_smtputf8=True, allow_display_name=False
        )
    except EmailNotValidError:
        return None, "refused"
    return checked.ascii_email or checked.normalized, ""


_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_ATOM = st.from_regex(r"[A-Za-z0-9_+-]{1,10}", fullmatch=True)


@settings(max_examples=600, deadline=None)
@given(
    local=st.lists(_ATOM, min_size=1, max_size=3).map(".".join),
    labels=st.lists(_LABEL, min_size=1, max_size=3),
    tld=st.sampled_from(["cn", "org", "com", "gov", "test", "local", "localhost", "onion", "xn", "ab"])
    | st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)
def test_a_plain_address_taken_without_the_validator_is_one_it_passes_unchanged(
    local: str, labels: list[str], tld: str
) -> None:
    raw = f"{local}@{'.'.join([*labels, tld])}"
    if text._plain_email(raw):  # what the fast path says is exactly what the validator says
        assert _validator(raw) == (raw, ""), raw


@pytest.mark.parametrize(
    "raw",
    [
        "office1@example.gov.cn",
        "wang.xiaoming+dcs@sub-1.example.org",
        "A_B@q1.cn",
        "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 58, "cn"]),
    ],
)
def test_the_common_addresses_take_the_fast_path(raw: str) -> None:
    """Taken as the validator takes them (the last one is 254 characters, the longest)."""
    assert text._plain_email(raw) and text._checked_email(raw) == (raw, "") == _validator(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "x@Example.org",  # the validator lowers the domain
        "x@ab--cd.com",  # IDNA's hyphen rule
        "x@b.test",  # reserved
        "x@a.b.c.123",  # numeric top-level domain
        "x@localhost",  # one label
        ".x@example.org",
        "x..y@example.org",
        "x@-a.org",
        "x" * 65 + "@example.org",
        "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 59, "cn"]),  # 255 characters
        "x@" + "a" * 64 + ".org",
        "王@example.org",
    ],
)
def test_addresses_outside_the_fast_path_go_to_the_validator(raw: str) -> None:
    assert not text._plain_email(raw)


def test_the_reserved_names_are_the_validators() -> None:
    import email_validator

    assert tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES) == text.SPECIAL_USE_DOMAINS
