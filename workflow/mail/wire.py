"""A composed message as the bytes the standard library's SMTP policy would write, without its
per-message cost: short ASCII headers as they are, other headers folded once per distinct value,
the UTF-8 base64 body written directly. Tests compare with the library byte for byte."""

from __future__ import annotations

import binascii
import re
import sys
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache


def folded_header(name: str, value: str) -> bytes:
    if "\r" in value or "\n" in value:  # as the library refuses: a header never spans a line break
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    line = f"{name}: {value}"
    # (an empty value is the library's too: it writes "Name:" without the space)
    if value and len(line) <= (SMTP.max_line_length or 78) and line.isascii():
        return (line + "\r\n").encode("ascii")
    if name == "Subject":  # each reminder's is new: folding it here skips the library's parse
        folded = _fold_subject(value)
        if folded is not None:
            return folded
    return _fold_cached(name, value)


def body_bytes(body: str) -> bytes:
    """The body part as ``set_content(body, charset="utf-8", cte="base64")`` writes it under the
    SMTP policy: its MIME headers, then the text's lines joined with CRLF, in base64 lines of
    57 bytes (78 // 4 * 3), each ending in CRLF (email.contentmanager._encode_text)."""
    lines = body.encode("utf-8").splitlines()
    data = b"\r\n".join(lines) + b"\r\n"
    step = (SMTP.max_line_length or 78) // 4 * 3
    encoded = b"".join(binascii.b2a_base64(data[i : i + step]) for i in range(0, len(data), step))
    return _body_head() + encoded.replace(b"\n", b"\r\n")


@lru_cache(maxsize=1)
def _body_head() -> bytes:
    """MIME-Version, Content-Type and Content-Transfer-Encoding and the blank line, as the
    library writes them for a UTF-8 base64 text body (the same for every body)."""
    msg = EmailMessage(policy=SMTP)
    msg.set_content("x", charset="utf-8", cte="base64")
    raw = msg.as_bytes()
    return raw[: raw.index(b"\r\n\r\n") + 4]


def _install_fast_q_length() -> None:
    """Give the library's encoded-word chooser an exact, C-speed length of the Q encoding.

    Folding a Chinese subject asks ``email._encoded_words`` for the Q and B lengths of each
    shorter candidate until one fits the line: the library's ``len_q`` sums a table lookup per
    byte in Python, ~40 % of composing a digest. The same count from ``bytes.translate`` (a
    byte Q writes as itself costs 1, any other 3) gives the same numbers, so the same choice
    and the same bytes (a test compares for every byte value). Left alone if a later Python
    lays the module out differently.
    """
    import importlib

    ew = importlib.import_module("email._encoded_words")
    table = getattr(ew, "_cte_encode_length", None)
    q_map = getattr(ew, "_q_byte_map", None)
    if not isinstance(table, dict) or q_map is None or table.get("q") is not getattr(ew, "len_q", None):
        return
    plain = bytes(b for b in range(256) if len(q_map[b]) == 1)

    def len_q(bstring: bytes) -> int:
        return len(bstring) + 2 * len(bstring.translate(None, plain))

    table["q"] = len_q


#: ``_fold_as_ew`` after its combine step: (text, lines, maxlen, last_ew, ew_combine_allowed) ->
#: (the new last_ew, where the last encoded word written starts (-1: none), where it ends, its text).
_EwFold = Callable[[str, list[str], int, int | None, bool], tuple[int | None, int, int, str]]


def _install_fast_ew_fold() -> _EwFold | None:
    """Give the header folder an encoded-word splitter that finds each word's length directly.

    To fit an encoded word into what is left of a line, the library's ``_fold_as_ew`` encodes
    the text, and while the word is too long drops one character and encodes again: about 28
    encodings for a Chinese subject, half of composing a digest. This copy computes the same
    answer (the longest prefix whose word fits) from lengths alone: no prefix longer than the
    longest whose shorter encoding fits can fit (that one is found from the byte counts in
    one pass), and from there it steps down as the library does, so the words, lines and bytes
    are the library's (a hypothesis test compares them). Installed only over the function it
    was written from (Python 3.11's signature and charset rules); otherwise left alone.
    Returns the splitter after the combine step (``_fold_subject`` combines without parsing),
    or None when not installed.
    """
    import importlib
    import inspect
    from bisect import bisect_right
    from itertools import accumulate

    hvp = importlib.import_module("email._header_value_parser")
    ew = importlib.import_module("email._encoded_words")
    original = getattr(hvp, "_fold_as_ew", None)
    needed = ("get_unstructured", "WSP", "_steal_trailing_WSP_if_exists", "errors", "_ew")
    if original is None or not all(hasattr(hvp, n) for n in needed) or hvp._ew is not ew:
        return None
    params = tuple(inspect.signature(original).parameters)
    if params != ("to_encode", "lines", "maxlen", "last_ew", "ew_combine_allowed", "charset"):
        return None
    len_q, len_b = ew._cte_encode_length["q"], ew._cte_encode_length["b"]

    def word_len(text: str) -> int:
        """The payload length ``encode`` writes: Q unless it is 5 or more longer than B."""
        data = text.encode("utf-8")
        q: int = len_q(data)
        b: int = len_b(data)
        return q if q - b < 5 else b

    q_costs = bytes(len_q(bytes([b])) for b in range(256))  # what Q writes for each byte: 1 or 3

    def longest_within(text: str, room: int) -> int:
        """The most characters of text whose shorter payload (B or Q) fits into room: the longer
        of the prefixes whose B fits (4 per 3 bytes) and whose Q fits; each prefix is at most room
        bytes (room characters), and a character cut by the byte count is dropped."""
        data = text[:room].encode("utf-8")
        by_b = data[: room // 4 * 3]
        by_q = data[: bisect_right(list(accumulate(data.translate(q_costs))), room)]
        return len(max(by_b, by_q, key=len).decode("utf-8", "ignore"))

    def fold_ew(  # the library's body after the combine step, but for the marked loop
        to_encode: str,
        lines: list[str],
        maxlen: int,
        last_ew: int | None,
        ew_combine_allowed: bool,
    ) -> tuple[int | None, int, int, str]:
        if to_encode[0] in hvp.WSP:
            leading_wsp = to_encode[0]
            to_encode = to_encode[1:]
            if len(lines[-1]) == maxlen:
                lines.append(hvp._steal_trailing_WSP_if_exists(lines))
            lines[-1] += leading_wsp
        trailing_wsp = ""
        if to_encode[-1] in hvp.WSP:
            trailing_wsp = to_encode[-1]
            to_encode = to_encode[:-1]
        new_last_ew = len(lines[-1]) if last_ew is None else last_ew
        chrome_len = len("utf-8") + 7
        if (chrome_len + 1) >= maxlen:
            raise hvp.errors.HeaderParseError("max_line_length is too small to fit an encoded word")
        start, end, text = -1, -1, ""  # the last word written: always on the last line
        while to_encode:
            remaining_space = maxlen - len(lines[-1])
            text_space = remaining_space - chrome_len
            if text_space <= 0:
                lines.append(" ")
                continue
            # -- the library tries to_encode[:text_space], then one character fewer each time.
            room = remaining_space - chrome_len
            k = min(text_space, longest_within(to_encode, room))  # none longer fits
            while k > 0 and word_len(to_encode[:k]) > room:
                k -= 1
            to_encode_word = to_encode[:k]
            # -- the rest is the library's.
            start, text = len(lines[-1]), to_encode_word
            lines[-1] += ew.encode(to_encode_word, charset="utf-8")
            end = len(lines[-1])
            to_encode = to_encode[len(to_encode_word) :]
            if to_encode:
                lines.append(" ")
                new_last_ew = len(lines[-1])
        lines[-1] += trailing_wsp
        return (new_last_ew if ew_combine_allowed else None), start, end, text

    def fold_as_ew(
        to_encode: str,
        lines: list[str],
        maxlen: int,
        last_ew: int | None,
        ew_combine_allowed: bool,
        charset: str,
    ) -> int | None:
        if charset not in ("us-ascii", "utf-8"):
            return original(to_encode, lines, maxlen, last_ew, ew_combine_allowed, charset)  # type: ignore[no-any-return]  # the library is untyped
        if last_ew is not None and ew_combine_allowed:
            to_encode = str(hvp.get_unstructured(lines[-1][last_ew:] + to_encode))
            lines[-1] = lines[-1][:last_ew]
        return fold_ew(to_encode, lines, maxlen, last_ew, ew_combine_allowed)[0]

    fold_as_ew.original = original  # type: ignore[attr-defined]  # for the test that compares
    setattr(hvp, "_fold_as_ew", fold_as_ew)  # noqa: B010  a module found at run time
    return fold_ew


def _subject_ew_fold(fold_ew: _EwFold | None) -> _EwFold | None:
    """The splitter for ``_fold_subject``, or None where its replica of the library is unproven.

    The folder has changed in patch releases (security fixes are backported to old branches),
    so the replica is trusted on the version its hypothesis test was run on, and only while
    Subject is still the plain unstructured header under the 78-column, ASCII SMTP policy.
    """
    import importlib
    from email.headerregistry import UniqueUnstructuredHeader

    hvp = importlib.import_module("email._header_value_parser")
    registry = getattr(SMTP.header_factory, "registry", None)
    if (
        fold_ew is None
        or sys.version_info[:3] != (3, 11, 7)
        or not isinstance(registry, dict)
        or registry.get("subject") is not UniqueUnstructuredHeader
        or UniqueUnstructuredHeader.value_parser is not hvp.get_unstructured
        or (SMTP.max_line_length, SMTP.linesep, SMTP.utf8) != (78, "\r\n", False)
    ):
        return None
    return fold_ew


_SPACE_RUNS = re.compile("( +)").split


def _fold_subject(value: str) -> bytes | None:
    """``_fold_cached("Subject", value)`` without the parse tree, or None outside the subset.

    The library parses the value into words and space runs and folds them one by one (its
    ``_refold_parse_tree`` on a flat unstructured list). To join a word that must be encoded to
    the encoded word before it on the line (with the ASCII words and spaces since), it decodes
    that word by parsing the line again; here the text of the last encoded word is kept
    instead. Everything else (the stale ``last_ew`` after a word moved to a new line, ASCII
    words folded alone or encoded when too long) is the library's. The subset: printable
    values (no control, format, private, unassigned or surrogate characters; no whitespace
    but the ASCII space), without "=?" (which the parser would decode), not starting or ending
    with a space. A hypothesis test compares the bytes with the library's.
    """
    fold_ew = _SUBJECT_EW_FOLD
    if fold_ew is None or not value.isprintable() or "=?" in value:
        return None
    if not value or value[0] == " " or value[-1] == " ":
        return None
    maxlen = 78
    lines = ["Subject: "]  # the label and the space always fit
    if value.isascii() and len(value) + 1 <= maxlen:  # it folds whole, maybe on its own line
        lines = ["Subject: " + value] if len(value) <= maxlen - 9 else ["Subject:", " " + value]
        return ("\r\n".join(lines) + "\r\n").encode("ascii")
    last_ew: int | None = None
    ew_start, ew_end, ew_text = -1, -1, ""  # the last encoded word on lines[-1]
    for token in _SPACE_RUNS(value):
        if token.isascii():
            if len(token) <= maxlen - len(lines[-1]):
                lines[-1] += token
                continue
            if len(token) + 1 <= maxlen:
                newline = ""
                if lines[-1].endswith(" "):  # _steal_trailing_WSP_if_exists
                    newline, lines[-1] = " ", lines[-1][:-1]
                if newline or token[0] == " ":
                    lines.append(newline + token)
                    last_ew, ew_start = None, -1
                    continue
            # Too long for a line of its own: the library encodes it anyway, to split it.
        to_encode = token
        if last_ew is not None:  # combined with what follows last_ew on the line
            line = lines[-1]
            if ew_start >= last_ew and not line[last_ew:ew_start].strip(" "):
                # the encoded word, decoded, then the words since; spaces before it are the
                # leading space of the word's own text, which _fold_as_ew writes out plain
                to_encode = line[last_ew:ew_start] + ew_text + line[ew_end:] + token
            else:  # a stale last_ew: past the line's end, or inside what was written since
                to_encode = line[last_ew:] + token
                if "=?" in to_encode:  # the parser would decode (part of) a word: not replicated
                    return None
            lines[-1] = line[:last_ew]
        last_ew, ew_start, ew_end, ew_text = fold_ew(to_encode, lines, maxlen, last_ew, True)
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


@lru_cache(maxsize=512)
def _fold_cached(name: str, value: str) -> bytes:
    # A header object (as setting msg[name] makes) folds with encoded words; a bare str would not.
    return SMTP.fold_binary(name, SMTP.header_factory(name, value))


_install_fast_q_length()
_SUBJECT_EW_FOLD = _subject_ew_fold(_install_fast_ew_fold())
