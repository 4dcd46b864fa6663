"""Text folded to a width the way a Chinese reader expects: at spaces and between Chinese
characters, never inside a Latin word, key or date, and never with closing punctuation (，。）》)
starting a line or opening punctuation (（《) ending one."""

from __future__ import annotations

from rich.cells import cell_len

#: Chinese punctuation that never starts a line, and that never ends one.
_CLOSE = set("，。、；：！？）】》」』”’…%")
_OPEN = set("（【《「『“‘")


def tokens(text: str, cjk: bool = True) -> list[tuple[str, str]]:
    """``text`` as (separator, piece) pairs that a line may break between.

    A break may fall at a space or (``cjk``) next to a wide (Chinese) character, except
    before closing and after opening punctuation; runs of narrow characters
    (words, keys, dates, file names, addresses) are never broken.
    """
    out: list[tuple[str, str]] = []
    cur, sep = "", ""
    for ch in text:
        if ch == " ":
            if cur:
                out.append((sep, cur))
                cur, sep = "", ""
            sep += " "  # kept as written: a legend spaces its entries with three
            continue
        if cur and cjk:
            wide, prev_wide = cell_len(ch) == 2, cell_len(cur[-1]) == 2
            if (wide or prev_wide) and ch not in _CLOSE and cur[-1] not in _OPEN:
                out.append((sep, cur))
                cur, sep = "", ""
        cur += ch
    if cur:
        out.append((sep, cur))
    return out


def longest_word(text: str, cjk: bool = True) -> int:
    """Width of the widest piece of ``text`` that :func:`fold` will not break."""
    return max((cell_len(piece) for line in text.split("\n") for _s, piece in tokens(line, cjk)), default=0)


def _hard(piece: str, width: int) -> list[str]:
    out: list[str] = []
    while cell_len(piece) > width:
        cut = 0
        while cell_len(piece[: cut + 1]) <= width:
            cut += 1
        cut = max(cut, 1)
        out.append(piece[:cut])
        piece = piece[cut:]
    out.append(piece)
    return out


def fold(text: str, width: int, cjk: bool = True) -> list[str]:
    """``text`` folded to lines of at most ``width`` cells at allowed breaks.

    A piece wider than ``width`` (only where a layout has no other choice) is cut by cells.
    """
    lines: list[str] = []
    for raw in text.split("\n"):
        if cell_len(raw) <= width:
            lines.append(raw)
            continue
        entries = raw.split(ENTRY_GAP)
        if len(entries) > 1 and all(cell_len(e) <= width for e in entries):
            current = entries[0]
            for entry in entries[1:]:
                if cell_len(current + ENTRY_GAP + entry) <= width:
                    current += ENTRY_GAP + entry
                else:
                    lines.append(current)
                    current = entry
            lines.append(current)
            continue
        current = ""
        for k, (sep, piece) in enumerate(tokens(raw, cjk)):
            candidate = current + sep + piece if current or k == 0 else piece
            if cell_len(candidate) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            parts = _hard(piece, width)
            lines.extend(parts[:-1])
            current = parts[-1]
        lines.append(current)
    return lines


#: Three spaces separate the entries of a legend line ("1 学习动员阶段   2 组织实施阶段"):
#: such a line folds between entries, keeping each whole, where every entry fits.
ENTRY_GAP = "   "
