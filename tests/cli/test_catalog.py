"""The zh catalogs are complete, compiled, and actually used by the console."""

from __future__ import annotations

import gettext
import re
import string

import click
import pytest
from click.testing import CliRunner

from cli import catalog
from cli.main import cli
from workflow.i18n import set_language

# Strings click shows on our help pages and usage errors: translated whatever click's version.
CLICK_SHOWN = [
    "Usage:",
    "Options",
    "Commands",
    "Show this message and exit.",
    "Error: {message}",
    "Try '{command} {option}' for help.",
    "No such option {name!r}.",
    "No such command {name!r}.",
    "Missing argument",
    "Missing option",
    "Invalid value for {param_hint}: {message}",
    "Got unexpected extra argument ({args})",
    "{value!r} is not {choice}.",
    "Missing parameter: {param_name}",
]


@pytest.fixture(autouse=True)
def _back_to_english():  # type: ignore[no-untyped-def]
    yield
    set_language("en")


def test_every_manyi_message_has_a_chinese_translation() -> None:
    assert catalog.missing("zh", "manyi") == [], "run `python -m cli.catalog update` and translate"


def test_clicks_messages_have_chinese_translations() -> None:
    zh = catalog.read("zh", "click")
    have = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in zh if m.id}
    assert all(have.get(msg) for msg in CLICK_SHOWN)
    if zh.project != f"click {catalog.click_version()}":
        pytest.skip(f"catalog made for {zh.project}; installed click {catalog.click_version()}")
    assert catalog.missing("zh", "click") == []


def test_help_tree_is_in_the_catalog_and_every_command_has_help() -> None:
    texts = list(catalog.help_texts())
    commands = [where for _t, where in texts if not where.split()[-1].startswith("-")]

    def count(cmd: click.Command) -> int:
        subs = cmd.commands.values() if isinstance(cmd, click.Group) else []
        return 1 + sum(count(c) for c in subs)

    assert len(commands) == count(cli), "every command has help text"
    template = catalog.extract("manyi")
    assert all(text in template for text, _w in texts)


def _fields(text: str) -> list[str]:
    fields = sorted(name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None)
    return fields + sorted(re.findall(r"%\(\w+\)s", text))


@pytest.mark.parametrize("domain", ["manyi", "click"])
def test_translations_keep_the_placeholders(domain: str) -> None:
    for m in catalog.read("zh", domain):
        if not m.id or not m.string:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        allowed = {f for i in ids for f in _fields(i)}
        for s in strings:
            assert set(_fields(s)) <= allowed, (m.id, s)
            if isinstance(m.id, str):
                assert _fields(s) == _fields(m.id), (m.id, s)


@pytest.mark.parametrize("domain", ["manyi", "click"])
def test_committed_mo_matches_po(domain: str) -> None:
    po = catalog.read("zh", domain)
    mo_path = catalog.po_path("zh", domain).with_suffix(".mo")
    with mo_path.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    expected = {}
    for m in po:
        if m.id and m.string and not m.fuzzy:
            key = m.id if isinstance(m.id, str) else m.id[0]
            expected[key] = m.string if isinstance(m.string, str) else m.string[0]
    got = {k if isinstance(k, str) else k[0]: v for k, v in mo._catalog.items() if k}  # type: ignore[attr-defined]
    assert got == expected, "run `python -m cli.catalog compile`"


def test_help_and_errors_follow_the_language() -> None:
    runner = CliRunner()
    zh = runner.invoke(cli, ["--lang", "zh", "advance", "--help"], prog_name="manyi")
    assert zh.exit_code == 0
    assert zh.output.startswith("用法: manyi advance [OPTIONS] [OFFICES]...\n")
    assert "将结束条件均已满足的科室推进到下一阶段。" in zh.output
    assert "显示本帮助信息并退出。" in zh.output
    en = runner.invoke(cli, ["--lang", "en", "advance", "--help"], prog_name="manyi")
    assert en.output.startswith("Usage: manyi advance [OPTIONS] [OFFICES]...\n")
    assert "Show this message and exit." in en.output
    bad = runner.invoke(cli, ["--lang", "zh", "advance", "--bogus"], prog_name="manyi")
    assert bad.exit_code == 2
    assert bad.stderr.splitlines()[-1] == "错误：没有选项 '--bogus'。"


def test_locale_picks_chinese_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.language import detect_language

    for var in ("MANYI_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    assert detect_language() == "zh"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert detect_language() == "zh"
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    assert detect_language() == "en"
    monkeypatch.setenv("MANYI_LANG", "zh")
    assert detect_language() == "zh"
