"""Maintain the message catalogs: ``python -m cli.catalog update|compile|check``.

Two gettext domains live under ``cli/locale/<lang>/LC_MESSAGES/``:

* ``manyi``: every string our code marks with ``_()`` or ``N_()``, plus every help
  text reached by walking the command tree (a docstring used as help has no marker);
* ``click``: click's own strings (``Usage:``, ``Show this message and exit.``, its
  error messages), extracted from the installed click, which looks them up through
  the names ``_``/``ngettext`` we rebind in :mod:`cli.clickext`.

``update`` re-extracts both, merges into each language's ``.po`` (new strings get an
empty translation, translations of strings that are gone are dropped) and compiles
the ``.mo`` files; ``check`` lists strings that lack a translation and exits 1 if any.
Babel is a maintainer and test dependency only: at run time the standard library's
gettext reads the compiled ``.mo`` files.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cli.clickext import CLICK_MODULES

ROOT = Path(__file__).resolve().parent.parent
LOCALE_DIR = ROOT / "cli" / "locale"
LANGUAGES = ("zh",)
SOURCE_PACKAGES = ("workflow", "storage", "cli")


def _sources() -> Iterator[Path]:
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def help_texts() -> Iterator[tuple[str, str]]:
    """(msgid, where) for every help text of the command tree, untranslated."""
    from cli.main import load_all

    cli = load_all()

    def raw(obj: object) -> str | None:
        return getattr(obj, "_help_msgid", None) or getattr(obj, "help", None)

    def walk(cmd: click.Command, path: str) -> Iterator[tuple[str, str]]:
        if text := raw(cmd):
            yield text, path
        for param in cmd.params:
            if isinstance(param, click.Option) and (text := raw(param)):
                yield text, f"{path} {param.opts[0]}"
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                yield from walk(sub, f"{path} {name}")

    yield from walk(cli, "manyi")


def extract(domain: str) -> Catalog:
    """A template catalog (no translations) of ``domain``'s messages, in a stable order."""
    catalog = Catalog(project=domain, domain=domain, charset="utf-8")
    if domain == "manyi":
        for path in _sources():
            rel = path.relative_to(ROOT).as_posix()
            for lineno, msg, _comments, _ctx in extract_from_file(
                "python", str(path), keywords=DEFAULT_KEYWORDS
            ):
                if isinstance(msg, str) and msg:
                    catalog.add(msg, locations=[(rel, lineno)])
        for text, where in help_texts():
            if text not in catalog:
                catalog.add(text, auto_comments=[f"help of: {where}"])
    else:
        base = Path(click.__file__).resolve().parent
        catalog.project = f"click {click_version()}"
        for name in CLICK_MODULES:
            path = base / f"{name}.py"
            for lineno, msg, _comments, _ctx in extract_from_file(
                "python", str(path), keywords={"_": None, "ngettext": (1, 2)}
            ):
                catalog.add(msg, locations=[(f"click/{name}.py", lineno)])
    return catalog


def click_version() -> str:
    from importlib.metadata import version

    return version("click")


def po_path(lang: str, domain: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po"


def read(lang: str, domain: str) -> Catalog:
    path = po_path(lang, domain)
    if not path.exists():
        return Catalog(locale=lang, domain=domain, project=domain, charset="utf-8")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=domain)


def _write(lang: str, domain: str, catalog: Catalog) -> None:
    path = po_path(lang, domain)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(
        buf,
        catalog,
        width=100,
        omit_header=False,
        ignore_obsolete=True,
        include_previous=False,
        sort_output=False,
    )
    path.write_bytes(buf.getvalue())
    compile_one(lang, domain)


def mo_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    return buf.getvalue()


def compile_one(lang: str, domain: str) -> None:
    po_path(lang, domain).with_suffix(".mo").write_bytes(mo_bytes(read(lang, domain)))


def update() -> None:
    for domain in ("manyi", "click"):
        template = extract(domain)
        for lang in LANGUAGES:
            catalog = read(lang, domain)
            catalog.update(
                template, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False
            )
            catalog.project = template.project
            catalog.version = ""
            catalog.header_comment = (
                f"# Simplified Chinese messages of {template.project}, "
                "kept with `python -m cli.catalog update`."
            )
            catalog.fuzzy = False
            catalog.last_translator = "manyi maintainers"
            catalog.language_team = "Simplified Chinese"
            catalog.obsolete.clear()
            _write(lang, domain, catalog)


def missing(lang: str, domain: str) -> list[str]:
    """msgids of ``domain``'s current sources with no (or an empty) ``lang`` translation."""
    catalog = read(lang, domain)
    out = []
    for msg in extract(domain):
        if not msg.id:
            continue
        have = catalog.get(msg.id)
        strings = have.string if have is not None else None
        if isinstance(strings, tuple | list):
            ok = all(strings)
        else:
            ok = bool(strings)
        if have is None or not ok or have.fuzzy:
            out.append(msg.id if isinstance(msg.id, str) else msg.id[0])
    return out


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        update()
    elif command == "compile":
        for domain in ("manyi", "click"):
            for lang in LANGUAGES:
                compile_one(lang, domain)
    elif command != "check":
        print("usage: python -m cli.catalog update|compile|check", file=sys.stderr)
        return 2
    gaps = [(lang, d, m) for lang in LANGUAGES for d in ("manyi", "click") for m in missing(lang, d)]
    for lang, domain, msg in gaps:
        print(f"{lang}/{domain}: untranslated: {msg!r}")
    if gaps:
        print(
            f"{len(gaps)} untranslated; edit {LOCALE_DIR}/<lang>/LC_MESSAGES/*.po, "
            "then run: python -m cli.catalog compile",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
