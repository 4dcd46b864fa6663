"""Open artifacts in the programs their readers use: LibreOffice (soffice) and poppler.

Every call runs ``soffice --headless`` with a private profile in a fresh folder,
so parallel test runs never share (or lock) one ``~/.config/libreoffice``. A
conversion takes several seconds: convert many files in one call.

Without the programs a test is skipped locally and fails when ``CI`` is set
(``.ci/run`` installs them), so a missing program is never mistaken for a pass.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest

PACKAGES = {
    "soffice": "libreoffice-writer-nogui libreoffice-calc-nogui",
    "pdftotext": "poppler-utils",
    "pdfinfo": "poppler-utils",
    "pdffonts": "poppler-utils",
    "fc-list": "fontconfig",
}


def need(program: str) -> str:
    """The path of ``program``; skip (locally) or fail (under CI) when it is not installed."""
    found = shutil.which(program)
    if found:
        return found
    msg = f"{program} is not installed (Debian: apt-get install {PACKAGES.get(program, program)})"
    if os.environ.get("CI"):
        pytest.fail(msg + "; .ci/run must install it")
    pytest.skip(msg)


def convert(files: Sequence[Path], to: str, outdir: Path, infilter: str | None = None) -> list[Path]:
    """Convert ``files`` in one soffice run; returns the converted files, in order.

    Args:
        to: a target such as ``pdf`` or ``xlsx``.
        infilter: LibreOffice's import options, e.g. ``CSV:44,34,76`` (comma, quote, UTF-8).
    """
    soffice = need("soffice")
    outdir.mkdir(parents=True, exist_ok=True)
    stems = [f.stem for f in files]
    assert len(set(stems)) == len(stems), "soffice names its output after the input: stems must differ"
    with tempfile.TemporaryDirectory(prefix="manyi-lo-") as profile:
        cmd = [
            soffice,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(outdir),
        ]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        done = subprocess.run(
            [*cmd, *map(str, files)], capture_output=True, text=True, timeout=300, check=False
        )
    ext = to.split(":")[0]
    out = [outdir / f"{s}.{ext}" for s in stems]
    missing = [p for p in out if not p.exists()]
    assert not missing, f"soffice did not write {missing}: {done.stdout}{done.stderr}"
    return out


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run([need("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True)
    line = next(ln for ln in info.stdout.splitlines() if ln.startswith("Pages:"))
    return int(line.split()[1])


def pdf_page_size(pdf: Path) -> tuple[float, float]:
    """Width and height of the first page in points."""
    info = subprocess.run([need("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True)
    line = next(ln for ln in info.stdout.splitlines() if ln.startswith("Page size:"))
    w, _x, h = line.split()[2:5]
    return float(w), float(h)


def pdf_text(pdf: Path, first: int | None = None, last: int | None = None) -> str:
    cmd = [need("pdftotext"), "-layout"]
    if first is not None:
        cmd += ["-f", str(first)]
    if last is not None:
        cmd += ["-l", str(last)]
    done = subprocess.run([*cmd, str(pdf), "-"], capture_output=True, text=True, check=True)
    return done.stdout


def pdf_fonts(pdf: Path) -> list[str]:
    """The font names the PDF embeds or refers to, without the subset prefix (``ABCDEF+``)."""
    done = subprocess.run([need("pdffonts"), str(pdf)], capture_output=True, text=True, check=True)
    names = [ln.split()[0] for ln in done.stdout.splitlines()[2:] if ln.strip()]
    return sorted({n.split("+", 1)[-1] for n in names})


def cjk(font: str) -> bool:
    """A font that has Chinese glyphs (what fontconfig substitutes for 仿宋_GB2312 and friends)."""
    return any(k in font for k in ("CJK", "Han", "Song", "Hei", "Kai", "Fang", "WenQuanYi", "Droid"))
