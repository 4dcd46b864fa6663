"""Every document manyi writes, opened the way its reader opens it.

One demo campaign (``manyi demo``, in Chinese) plus hostile texts is built
once for the module; its CSV, xlsx and docx files are converted by LibreOffice
in as few ``soffice`` runs as possible (see :mod:`tests.office`) and the results
are read back with openpyxl and poppler.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from tests import office

NOW = "2026-12-02T10:00:00+08:00"
HYPERLINK = '=HYPERLINK("http://evil.example/","点我")'
#: Texts a spreadsheet would run as formulas, each one in the ledger and in the history.
FORMULAS = (HYPERLINK, "-2+3 接待记录不全", "+1+1 窗口", "@SUM(1+1)", "\uff1d1+1 全角等号")


@dataclass
class Demo:
    folder: Path
    db: Path

    def run(self, *args: str, lang: str = "zh") -> str:
        result = CliRunner().invoke(cli, ["--db", str(self.db), "--lang", lang, "--as", "督查室", *args],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for var in ("MANYI_DB", "MANYI_SMTP_URL", "MANYI_MAIL_FROM", "MANYI_USER", "MANYI_LANG"):
            mp.delenv(var, raising=False)
        mp.setenv("MANYI_NOW", NOW)
        result = CliRunner().invoke(cli, ["--lang", "zh", "--as", "督查室", "demo"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        d = Demo(folder, folder / "manyi-demo.db")
        for i, text in enumerate(FORMULAS):
            d.run("rectify", "add", ("市法制办公室", "秘书科")[i % 2], "--", text)
        d.run("advance", "信息科", "--force", "--reason", HYPERLINK)
        yield d


@pytest.fixture(scope="module")
def csv_files(demo: Demo) -> dict[str, Path]:
    out = {"audit": demo.folder / "audit.csv", "ledger": demo.folder / "ledger.csv"}
    demo.run("audit", "export", "--format", "csv", "-o", str(out["audit"]))
    demo.run("rectify", "list", "--format", "csv", "-o", str(out["ledger"]))
    return out


@pytest.fixture(scope="module")
def csv_in_calc(csv_files: dict[str, Path], demo: Demo) -> dict[str, list[list[tuple[object, str]]]]:
    """Each CSV as LibreOffice Calc reads it (UTF-8, comma, default options: formulas evaluated),
    saved as xlsx and read back: rows of (value, openpyxl data type)."""
    from openpyxl import load_workbook

    files = list(csv_files.values())
    converted = office.convert(files, "xlsx", demo.folder / "calc", infilter="CSV:44,34,76")
    sheets = {}
    for key, path in zip(csv_files, converted, strict=True):
        ws = load_workbook(path).active
        sheets[key] = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]
    return sheets


def test_csv_for_people_has_a_bom_quotes_and_local_times(csv_files: dict[str, Path]) -> None:
    for path in csv_files.values():
        data = path.read_bytes()
        assert data.startswith(codecs.BOM_UTF8)
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(csv_files["audit"].read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["campaign", "seq", "at", "actor", "office", "action", "from", "to", "reason",
                       "detail", "prev", "hash"]
    assert all(r[2].endswith("+08:00") and len(r[2]) == len("2026-12-02 10:00:00+08:00") for r in rows[1:])
    assert rows[-1][2] == "2026-12-02 10:00:00+08:00"  # MANYI_NOW, in Asia/Shanghai
    assert rows[-1][8] == "'" + HYPERLINK
    assert "督查室" in {r[3] for r in rows[1:]}
    # Every field is quoted: a separator inside a value never starts a cell, whatever the
    # spreadsheet guesses the separator to be.
    first = csv_files["ledger"].read_bytes().decode("utf-8-sig").splitlines()[1]
    assert first.startswith('"') and first.endswith('"')


Sheets = dict[str, list[list[tuple[object, str]]]]


def test_no_csv_cell_becomes_a_formula_in_libreoffice(csv_in_calc: Sheets) -> None:
    for key, rows in csv_in_calc.items():
        assert [t for row in rows for v, t in row if t == "f"] == [], key
        texts = {v for row in rows for v, t in row if isinstance(v, str)}
        assert not any(t.startswith("\ufeff") or "ï»¿" in t for t in texts), key  # BOM read as such
        assert "督查室" in texts or key == "ledger"
    ledger = {v for row in csv_in_calc["ledger"] for v, _t in row}
    for text in FORMULAS:
        assert "'" + text in ledger  # shown as the text, with OWASP's apostrophe in front
    audit = csv_in_calc["audit"]
    assert audit[0][2][0] == "at"
    reason = [row[8][0] for row in audit[1:] if row[5][0] == "force-advance"]
    assert reason[-1] == "'" + HYPERLINK
    # Numbers stay numbers.
    assert all(isinstance(row[1][0], int) for row in audit[1:])
