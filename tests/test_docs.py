"""The generated documentation is current, and the README's walkthrough is the real one."""

from __future__ import annotations

import pytest

from cli import docgen


@pytest.mark.parametrize("lang", sorted(docgen.TARGETS))
def test_cli_reference_is_current(lang: str) -> None:
    target = docgen.TARGETS[lang]
    assert target.read_text(encoding="utf-8") == docgen.render(lang), (
        f"{target.name} is stale: run `python -m cli.docgen`")


def test_cli_reference_documents_every_command() -> None:
    from cli.main import cli

    text = docgen.TARGETS["en"].read_text(encoding="utf-8")
    for path in docgen.commands(cli):
        assert f"`{' '.join(path)}`" in text
