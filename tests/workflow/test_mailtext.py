"""workflow.mail.mailtext: the reminder digest as MIME, reply references, Message-IDs, templates."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from email import message_from_bytes
from email.policy import default

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.mail import mailtext
from workflow.mail.mailtext import Item

NOW = datetime(2026, 3, 23, 9, 0, tzinfo=UTC)
SENDER = '"督查室" <dcs@example.gov.cn>'


def item(office: str = "秘书科", requirement: str = "study-plan", **kw: object) -> Item:
    fields: dict[str, object] = dict(
        campaign="2026",
        office=office,
        requirement=requirement,
        title="学习计划",
        due=date(2026, 3, 23),
        days_late=0,
        days_left=0,
        escalated=False,
    )
    fields.update(kw)
    return Item(**fields)  # type: ignore[arg-type]


def reparse(msg: object) -> object:
    return message_from_bytes(msg.as_bytes(), policy=default)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "kw, when",
    [
        ({"days_left": 0}, "今天到期"),
        ({"days_left": 3}, "还有3天"),
        ({"days_late": 2}, "已逾期2天"),
        ({"days_late": 2, "escalated": True, "copied_to": "领导小组"}, "已逾期2天，已抄送领导小组"),
        ({"days_late": 2, "escalated": True}, "已逾期2天"),  # an escalation nobody was copied on says so
    ],
)
def test_when_says_due_today_left_or_late(kw: dict[str, object], when: str) -> None:
    assert item(**kw).when == when


def test_command_quotes_only_what_needs_it() -> None:
    assert item().command == "manyi file 秘书科 study-plan 文件路径 --campaign 2026"
    assert item(office="a b").command == "manyi file 'a b' study-plan 文件路径 --campaign 2026"
    assert item(item=7, requirement="item:7").command.startswith("manyi rectify done 7 ")


def test_references_round_trip_names_with_slashes_brackets_and_spaces() -> None:
    ref = mailtext.reference("2026/春", "秘书 科]", "study-plan")
    assert ref == "[manyi:2026%2F春/秘书%20科%5D/study-plan]"
    text = f"回复：提醒 {ref} and {mailtext.reference('2026', '信息科')}"
    assert mailtext.parse_references(text) == [
        ("2026/春", "秘书 科]", "study-plan"),
        ("2026", "信息科", None),
    ]


def test_message_id_carries_the_ids_and_is_never_folded() -> None:
    mid = mailtext.message_id(NOW, "example.gov.cn", 3, 12, "study-plan")
    assert mailtext.parse_msgids(mid) == [(3, 12, "study-plan")]
    mid = mailtext.message_id(NOW, "example.gov.cn", 3, None, "a-very-long-requirement-key-name")
    assert len("Message-ID: ") + len(mid) <= 78
    assert mailtext.parse_msgids(mid) == [(3, None, None)]
    assert mailtext.message_id(NOW, "d.cn", 1, 1, "Not A Key").endswith(".-@d.cn>")


def test_parse_sender() -> None:
    assert mailtext.parse_sender(SENDER) == ("督查室", "dcs@example.gov.cn")
    assert mailtext.parse_sender("dcs@example.gov.cn") == ("", "dcs@example.gov.cn")
    assert mailtext.parse_sender("no address here") == ("", "")


def test_compose_one_office_digest() -> None:
    items = [item(days_late=2), item(requirement="research-report", title="调研报告", days_left=5)]
    msg = mailtext.compose(
        sender=SENDER,
        recipient="office1@example.gov.cn",
        recipient_name="负责人1",
        items=items,
        campaign="2026",
        campaign_title="满意单位创建",
        leading_group="领导小组",
        now=NOW,
        campaign_id=3,
        section_id=12,
    )
    back = reparse(msg)
    subject = back["Subject"]  # type: ignore[index]
    # late items make it a 催办; one office, two requirements: the office's reference only
    assert subject == "【催办】满意单位创建（2026）：2项待办，1项已逾期 [manyi:2026/秘书科]"
    assert back["From"].addresses[0].display_name == "督查室"  # type: ignore[index]
    assert back["Auto-Submitted"] == "auto-generated"  # type: ignore[index]
    assert back["References"] == "<thread.manyi.3.12.-@example.gov.cn>"  # type: ignore[index]
    assert mailtext.parse_msgids(back["Message-ID"]) == [(3, 12, None)]  # type: ignore[index]
    body = back.get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
    assert body.startswith("负责人1：\n")
    assert "1. 秘书科：学习计划（study-plan）" in body and "已逾期2天" in body
    assert "2. 秘书科：调研报告（research-report）" in body and "还有5天" in body
    assert "[manyi:2026/秘书科/study-plan]" in body and "[manyi:2026/秘书科/research-report]" in body
    assert "2026-03-23T09:00+00:00" in body


def test_compose_to_a_leading_group_covers_several_offices_without_a_thread() -> None:
    items = [item(), item(office="信息科")]
    msg = mailtext.compose(
        sender=SENDER,
        recipient="lg@example.gov.cn",
        recipient_name="领导小组",
        items=items,
        campaign="2026",
        campaign_title="T",
        leading_group="领导小组",
        now=NOW,
        campaign_id=3,
        section_id=12,
    )
    assert msg["Subject"] == "【提醒】T（2026）：2项待办"
    assert msg["References"] is None
    assert mailtext.parse_msgids(msg["Message-ID"]) == [(3, None, None)]


def test_a_campaigns_own_templates_and_submission_text_still_carry_the_reference() -> None:
    templates: dict[str, str | None] = {
        "subject": "请办理{count}项",
        "body": "{items}",
        "item": "{n}) {title}\n",
    }
    msg = mailtext.compose(
        sender=SENDER,
        recipient="o@example.gov.cn",
        recipient_name="x",
        items=[item()],
        campaign="2026",
        campaign_title="T",
        leading_group="L",
        now=NOW,
        templates=templates,
        submission="请交到 OA 系统",
    )
    assert msg["Subject"] == "请办理1项 [manyi:2026/秘书科/study-plan]"
    body = reparse(msg).get_content().replace("\r\n", "\n")  # type: ignore[attr-defined]
    assert body == "1) 学习计划\n   请交到 OA 系统 [manyi:2026/秘书科/study-plan]\n"


def test_check_templates_names_the_first_that_would_fail() -> None:
    assert mailtext.check_templates({"subject": "{count}项", "body": None}) is None
    bad = mailtext.check_templates({"subject": "{count}项", "item": "{nope}"})
    assert bad is not None and bad[0] == "item" and bad[1].startswith("unknown field {nope}; fields: ")
    bad = mailtext.check_templates({"body": "{items"})
    assert bad is not None and bad[0] == "body" and bad[1].startswith("not a valid template: ")


def test_compose_notice_replies_in_the_thread_once() -> None:
    msg = mailtext.compose_notice(
        sender=SENDER,
        recipient="o@example.gov.cn",
        subject="学习计划",
        text="附件过大",
        now=NOW,
        in_reply_to="<abc@o.cn>",
        ref="[manyi:2026/秘书科]",
        campaign_id=3,
        section_id=12,
    )
    assert msg["Subject"] == "回复：学习计划 [manyi:2026/秘书科]"
    assert msg["In-Reply-To"] == msg["References"] == "<abc@o.cn>"
    assert msg["Auto-Submitted"] == "auto-replied"
    again = mailtext.compose_notice(
        sender=SENDER,
        recipient="o@example.gov.cn",
        subject="Re: x [manyi:2026/秘书科]",
        text="t",
        now=NOW,
        in_reply_to=None,
        ref="[manyi:2026/秘书科]",
        campaign_id=3,
        section_id=None,
    )
    assert again["Subject"] == "Re: x [manyi:2026/秘书科]" and again["In-Reply-To"] is None


@settings(max_examples=60, deadline=None)
@given(
    sender_name=st.text(alphabet="督查室人秘科 Ab.,", max_size=30),
    title=st.text(alphabet="创建人民满意单位活动（）\"'AZaz09 -", min_size=1, max_size=60),
    office=st.text(alphabet="市法制办公室秘书科信息科ABC", min_size=1, max_size=20),
    offices=st.integers(min_value=1, max_value=3),
    late=st.booleans(),
    with_thread=st.booleans(),
)
def test_the_fast_bytes_are_the_librarys_bytes(
    sender_name: str, title: str, office: str, offices: int, late: bool, with_thread: bool
) -> None:
    """The sweep writes Digest.as_bytes(); the standard library's message must give the same
    bytes for any sender name, campaign title and office (short, long, ASCII or Chinese)."""
    name = sender_name.strip()
    sender = f'"{name}" <dcs@example.gov.cn>' if name else "dcs@example.gov.cn"
    items = [
        item(office=office + str(n), days_late=2 if late else 0, title=title[:20] or "x")
        for n in range(offices)
    ]
    digest = mailtext.compose(
        sender=sender,
        recipient="office1@example.gov.cn",
        recipient_name=office,
        items=items,
        campaign="2026",
        campaign_title=title,
        leading_group="领导小组",
        now=NOW,
        campaign_id=3,
        section_id=12 if with_thread else None,
    )
    assert digest.as_bytes() == digest.message().as_bytes()


def test_a_line_break_in_a_header_is_refused_on_the_fast_path_too() -> None:
    digest = mailtext.compose(
        sender=SENDER,
        recipient="office1@example.gov.cn\r\nBcc: x@evil.example",
        recipient_name="x",
        items=[item()],
        campaign="2026",
        campaign_title="T",
        leading_group="L",
        now=NOW,
    )
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        digest.as_bytes()
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        digest.message()


def test_the_fast_q_length_is_the_librarys_for_every_byte() -> None:
    """mailtext gives the encoded-word chooser a faster Q length: it must count as the library's."""
    import importlib

    ew = importlib.import_module("email._encoded_words")
    fast = ew._cte_encode_length["q"]
    assert fast is not ew.len_q  # installed (else the digests pay the slow one)
    for b in range(256):
        assert fast(bytes([b])) == ew.len_q(bytes([b])), b
    sample = "【督查室提醒】2026年 创建“人民满意单位” 第000123科 ?=_ \t".encode()
    assert fast(sample) == ew.len_q(sample)


@settings(max_examples=150, deadline=None)
@given(body=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400))
def test_the_fast_body_is_the_librarys_body(body: str) -> None:
    """Any body text (line breaks of every kind, Chinese, empty) gives the library's bytes."""
    digest = mailtext.Digest([("To", "office1@example.gov.cn")], body)
    assert digest.as_bytes() == digest.message().as_bytes()


def test_a_reference_part_skips_the_character_look_only_when_nothing_needs_encoding() -> None:
    # _part's fast check is a regex; the slow path's rule is per character. They must agree on
    # every code point, or a name would go out unencoded (a reply could not be matched).
    rule = [
        f"U+{c:04X}"
        for c in range(0x110000)
        if bool(mailtext._REFERENCE_SPECIAL.search(chr(c)))
        != (chr(c) in "%/[]" or chr(c).isspace() or c < 32)
    ]
    assert rule == []
    assert mailtext._part("秘书科") == "秘书科"
    assert mailtext._part("a b\u3000c/d") == "a%20b%3000c%2Fd"


def _fold_both(name: str, value: str) -> tuple[object, object]:
    """A header folded by the SMTP policy with manyi's encoded-word splitter, then with the
    library's: the bytes, or the type of what was raised."""
    import importlib
    from email.policy import SMTP

    hvp = importlib.import_module("email._header_value_parser")
    fast = hvp._fold_as_ew

    def fold() -> object:
        try:
            return SMTP.fold_binary(name, SMTP.header_factory(name, value))
        except Exception as exc:  # noqa: BLE001  the library refuses some values: then both must
            return type(exc)

    ours = fold()
    hvp._fold_as_ew = fast.original
    try:
        theirs = fold()
    finally:
        hvp._fold_as_ew = fast
    return ours, theirs


def test_the_fast_encoded_word_splitter_is_installed_on_this_python() -> None:
    import importlib

    assert hasattr(importlib.import_module("email._header_value_parser")._fold_as_ew, "original")
    subject = (
        "【催办】创建“人民满意单位”活动（bench）：1项待办，1项已逾期 [manyi:bench/第000001科/research-report]"
    )
    ours, theirs = _fold_both("Subject", subject)
    assert ours == theirs and isinstance(ours, bytes) and ours.count(b"=?utf-8?") >= 3


@settings(max_examples=400, deadline=None)
@given(
    value=st.text(
        alphabet=st.sampled_from(list("创建人民满意单位活动【】（）“”第科 \tabcXYZ019-_=?/[]:.é😀")),
        min_size=1,
        max_size=160,
    ),
    name=st.sampled_from(["Subject", "To", "X-Note"]),
)
def test_the_fast_encoded_word_splitter_folds_as_the_library_does(value: str, name: str) -> None:
    """Any mix of Chinese, ASCII words, spaces, tabs, encoded-word lookalikes and 4-byte
    characters, short or several lines long: the same bytes as the library's own splitter."""
    ours, theirs = _fold_both(name, value)
    assert ours == theirs


# The Subject fast path: wire._fold_subject replicates the library's folding of a flat
# unstructured value and must give its bytes, or None to leave the value to the library.

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_WIDE = st.sampled_from(list("【】（）：，。、；！？《》“”‘’…—"))
_ASCII = st.sampled_from(list("abcXYZ0189[]:/-_.=?"))
_WORD = st.text(
    alphabet=st.one_of(_CJK, _WIDE, _ASCII, st.sampled_from(["é", "😀"])), min_size=1, max_size=40
)
_SPACES = st.one_of(
    st.just(" "),
    st.text(alphabet=" ", min_size=2, max_size=4),
    st.text(alphabet=" ", min_size=70, max_size=90),
)


_ON_THE_VERIFIED_PYTHON = pytest.mark.skipif(
    sys.version_info[:3] != (3, 11, 7),
    reason="the Subject fast path is verified on Python 3.11.7 only (elsewhere the library folds "
    "every subject): run the fast-subject property tests on this Python, then add it to "
    "wire._subject_ew_fold",
)


def _subject_as_the_library_folds(value: str) -> object:
    """folded_header's fast path and the library (with manyi's splitter, then its own) agree:
    the bytes, when the fast path takes the value."""
    from workflow.mail import wire

    folded = wire._fold_subject(value)
    ours, theirs = _fold_both("Subject", value)
    assert ours == theirs
    if folded is not None:
        assert folded == theirs
    return folded


@settings(max_examples=500, deadline=None)
@given(value=st.text(alphabet=st.one_of(_CJK, _WIDE, _ASCII, st.just(" ")), min_size=1, max_size=200))
def test_the_fast_subject_is_the_librarys_for_any_mix(value: str) -> None:
    """Chinese, full-width punctuation, ASCII words and punctuation, spaces anywhere."""
    _subject_as_the_library_folds(value)


@settings(max_examples=500, deadline=None)
@given(first=_WORD, rest=st.lists(st.tuples(_SPACES, _WORD), max_size=12))
def test_the_fast_subject_is_the_librarys_for_words_and_space_runs(
    first: str, rest: list[tuple[str, str]]
) -> None:
    """Words of every kind between runs of spaces (one, a few, or longer than a line)."""
    _subject_as_the_library_folds(first + "".join(spaces + word for spaces, word in rest))


#: An ASCII word too long for a line (a URL, a long reference): the library encodes it to split it.
_LONG_ASCII = st.text(alphabet=st.sampled_from(list("abcXYZ0189[]:/-_.")), min_size=70, max_size=160)


@settings(max_examples=500, deadline=None)
@given(
    first=st.one_of(_WORD, _LONG_ASCII),
    rest=st.lists(st.tuples(_SPACES, st.one_of(_WORD, _LONG_ASCII)), max_size=6),
)
def test_the_fast_subject_is_the_librarys_with_ascii_words_longer_than_a_line(
    first: str, rest: list[tuple[str, str]]
) -> None:
    _subject_as_the_library_folds(first + "".join(spaces + word for spaces, word in rest))


@_ON_THE_VERIFIED_PYTHON
def test_a_subject_with_a_long_ascii_word_takes_the_fast_path() -> None:
    url = "https://oa.example.gov.cn/supervision/2027/people-satisfied-unit/rectification/items/0000401/evidence"
    value = f"【提醒】整改材料见 {url} 请于3日内报送 [manyi:2027/第000401科]"
    assert _subject_as_the_library_folds(value) is not None


_TEXT = st.text(alphabet=st.one_of(_CJK, _WIDE, st.sampled_from(list("AZaz09 -“”"))), min_size=1, max_size=40)
_KEY = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789-_.")), min_size=1, max_size=30
)


@_ON_THE_VERIFIED_PYTHON
@settings(max_examples=500, deadline=None)
@given(
    tag=st.sampled_from(["催办", "提醒"]),
    title=_TEXT.map(str.strip).filter(bool),
    campaign=st.one_of(st.integers(2000, 2100).map(str), _KEY),
    count=st.integers(1, 500),
    late=st.one_of(st.none(), st.integers(1, 500)),
    office=st.one_of(
        st.integers(0, 999_999).map(lambda n: f"第{n:06d}科"), _TEXT.map(lambda t: t.replace(" ", "%20"))
    ),
    requirement=st.one_of(st.none(), _KEY),
)
def test_the_fast_subject_is_the_librarys_for_reminder_subjects(
    tag: str, title: str, campaign: str, count: int, late: int | None, office: str, requirement: str | None
) -> None:
    """Subjects shaped as the reminders' (mailtext.DEFAULT_SUBJECT and the reference): all of
    them take the fast path."""
    late_part = f"，{late}项已逾期" if late is not None else ""
    ref = f"[manyi:{campaign}/{office}" + (f"/{requirement}]" if requirement else "]")
    value = f"【{tag}】{title}（{campaign}）：{count}项待办{late_part} {ref}"
    assert _subject_as_the_library_folds(value) is not None


@_ON_THE_VERIFIED_PYTHON
def test_reminder_subjects_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """So that it cannot quietly become dead code: realistic subjects, one that folds onto
    three lines and more, one whose Chinese word follows a long ASCII line (a stale last_ew)."""
    from workflow.mail import wire

    subjects = [
        "【催办】“人民满意单位”创建活动（2027）：2项待办，2项已逾期 [manyi:2027/第000401科/research-report]",
        "【提醒】满意单位创建（2026）：2项待办 [manyi:2026/秘书科]",
        "【催办】"
        + "关于开展2027年度全市机关作风建设暨“人民满意单位”创建活动专项督查的通知" * 2
        + "（2027）：12项待办，3项已逾期 [manyi:2027/市法制办公室第三科/annual-self-assessment-report]",
        "Re: a fairly long English subject line that goes on and on 中文 and more text here 中文 x",
    ]

    def refuse(name: str, value: str) -> bytes:
        raise AssertionError(f"{name}: {value} went to the library")

    monkeypatch.setattr(wire, "_fold_cached", refuse)
    folded = [wire.folded_header("Subject", s) for s in subjects]
    monkeypatch.undo()
    for subject, header in zip(subjects, folded, strict=True):
        assert header == _fold_both("Subject", subject)[1]
    assert folded[2].count(b"\r\n ") >= 3  # four lines and more
    assert b"?= and more text here =?utf-8?" in folded[3]  # not combined: the library's quirk


@pytest.mark.parametrize(
    "value",
    [
        "",
        " 中文",
        "中文 ",
        "中\t文",
        "中\u3000文",  # ideographic space
        "中 \u3000文",  # the parser's space run (str.lstrip) takes it in
        "中\u200b文",  # format
        "中\ue000文",  # private use
        "中\U000e0001文",  # format (tag)
        "中文 =?utf-8?q?abc?= 中文",
        "中文=?utf-8?b?5Lit?=",
        "中文\x7f",
    ],
)
def test_a_subject_outside_the_subset_goes_to_the_library(value: str) -> None:
    from workflow.mail import wire

    assert wire._fold_subject(value) is None
    assert wire.folded_header("Subject", value) == _fold_both("Subject", value)[1]


def test_only_the_ascii_space_is_printable_whitespace() -> None:
    """The subset is str.isprintable(): it must leave no whitespace but the space, which the
    parser would split on (str.split) or take into a space run (str.lstrip)."""
    assert [c for c in map(chr, range(0x110000)) if c.isprintable() and c.isspace()] == [" "]


@pytest.mark.parametrize("value", ["中文\r\nBcc: x@evil.example", "中文\nBcc: x", "中文\r", "short\n"])
def test_a_line_break_in_a_subject_is_refused_before_the_fast_path(value: str) -> None:
    from workflow.mail import wire

    with pytest.raises(ValueError, match="linefeed or carriage return"):
        wire.folded_header("Subject", value)
