"""A composed message as the bytes the standard library's SMTP policy would write, without its
per-message cost: short ASCII headers as they are, other headers folded once per distinct value,
the UTF-8 base64 body written directly. Tests compare with the library byte for byte."""

from __future__ import annotations

import binascii
from email.message import EmailMessage
from email.policy import SMTP
from functools import lru_cache


def folded_header(name: str, value: str) -> bytes:
    if "\r" in value or "\n" in value:  # as the library refuses: a header never spans a line break
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    line = f"{name}: {value}"
    if len(line) <= (SMTP.max_line_length or 78) and line.isascii():
        return (line + "\r\n").encode("ascii")
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


def _install_fast_ew_fold() -> None:
    """Give the header folder an encoded-word splitter that finds each word's length directly.

    To fit an encoded word into what is left of a line, the library's ``_fold_as_ew`` encodes
    the text, and while the word is too long drops one character and encodes again: about 28
    encodings for a Chinese subject, half of composing a digest. This copy computes the same
    answer (the longest prefix whose word fits) from lengths alone: no prefix longer than the
    longest whose shorter encoding fits can fit, and from there it steps down as the library
    does, so the words, lines and bytes are the library's (a hypothesis test compares them).
    Installed only over the function it was written from (Python 3.11's signature and
    charset rules); otherwise left alone.
    """
    import importlib
    import inspect

    hvp = importlib.import_module("email._header_value_parser")
    ew = importlib.import_module("email._encoded_words")
    original = getattr(hvp, "_fold_as_ew", None)
    needed = ("get_unstructured", "WSP", "_steal_trailing_WSP_if_exists", "errors", "_ew")
    if original is None or not all(hasattr(hvp, n) for n in needed) or hvp._ew is not ew:
        return
    params = tuple(inspect.signature(original).parameters)
    if params != ("to_encode", "lines", "maxlen", "last_ew", "ew_combine_allowed", "charset"):
        return
    len_q, len_b = ew._cte_encode_length["q"], ew._cte_encode_length["b"]

    def word_len(text: str) -> tuple[int, int]:
        """(the payload length ``encode`` writes, a lower bound of it that grows with the text)."""
        data = text.encode("utf-8")
        q, b = len_q(data), len_b(data)
        return (q if q - b < 5 else b), min(q, b)

    def fold_as_ew(  # the library's body, but for the marked loop
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
        while to_encode:
            remaining_space = maxlen - len(lines[-1])
            text_space = remaining_space - chrome_len
            if text_space <= 0:
                lines.append(" ")
                continue
            # -- the library tries to_encode[:text_space], then one character fewer each time.
            room = remaining_space - chrome_len
            lo, hi = 0, min(text_space, len(to_encode))  # the bound fits at lo (an empty word)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if word_len(to_encode[:mid])[1] <= room:
                    lo = mid
                else:
                    hi = mid - 1
            k = lo
            while k > 0 and word_len(to_encode[:k])[0] > room:
                k -= 1
            to_encode_word = to_encode[:k]
            # -- the rest is the library's.
            lines[-1] += ew.encode(to_encode_word, charset="utf-8")
            to_encode = to_encode[len(to_encode_word) :]
            if to_encode:
                lines.append(" ")
                new_last_ew = len(lines[-1])
        lines[-1] += trailing_wsp
        return new_last_ew if ew_combine_allowed else None

    fold_as_ew.original = original  # type: ignore[attr-defined]  # for the test that compares
    setattr(hvp, "_fold_as_ew", fold_as_ew)  # noqa: B010  a module found at run time


@lru_cache(maxsize=512)
def _fold_cached(name: str, value: str) -> bytes:
    # A header object (as setting msg[name] makes) folds with encoded words; a bare str would not.
    return SMTP.fold_binary(name, SMTP.header_factory(name, value))


_install_fast_q_length()
_install_fast_ew_fold()
