"""``manyi definition``: check a definition file, and draw its machines.

``definition graph`` writes Mermaid text, or SVG/PNG drawn by Graphviz: this module is
the one place that runs ``dot``. Graphviz finds its fonts through fontconfig; with no
Chinese font installed it draws every Chinese character as a box, so we ask fontconfig
first and warn.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import click

from cli.clickext import option
from cli.console import print_json, say
from cli.main import HELP, cli
from cli.shared import CAMPAIGN_OPT, JSON_OPT, context
from workflow.errors import ConfigError
from workflow.i18n import N_, _, pick


# -- definition --------------------------------------------------------------
@cli.group(help=HELP["definition"])
def definition() -> None:
    pass


@definition.command("check", help=N_("Validate a definition file; print its phases and requirements."))
@click.argument("file")
@option(
    "--verbose",
    "-v",
    "verbose",
    is_flag=True,
    help=N_("Every requirement with its filer, count and due date, and the parameters' meanings."),
)
@JSON_OPT
def definition_check(file: str, verbose: bool, as_json: bool) -> None:
    from workflow.adapters import definition_files as defs
    from workflow.engine.summary import definition_summary, window_text
    from workflow.i18n import pick

    d = defs.load(file)
    data = definition_summary(d)
    if as_json:
        print_json(data)
        return
    from cli.console import paragraph, show
    from cli.tables import KEEP, TEXT, WRAP, Col

    paragraph(
        _("{source}: valid definition '{key}' ({title})").format(
            source=d.source, key=d.key, title=pick(d.spec.title.as_dict())
        )
    )
    if not verbose:  # one line a phase: what must happen to leave it
        for i, phase in enumerate(data["phases"], start=1):
            exits = [c.get("requirement") or c["text"] for c in phase["conditions"]]
            paragraph(
                _("{i} {title} ({key}): {n} requirements; to leave it: {exits}").format(
                    i=i,
                    title=phase["title"],
                    key=phase["key"],
                    n=len(phase["requirements"]),
                    exits=_(", ").join(exits) or "—",
                )
            )
        paragraph(
            _("{i} {title} ({key})").format(
                i=len(data["phases"]) + 1, key=data["final"]["key"], title=data["final"]["title"]
            )
        )
        if d.spec.parameters:
            paragraph(
                _("Parameters: {params}").format(
                    params=_(", ").join(f"{k}={p.default}" for k, p in d.spec.parameters.items())
                )
            )
        paragraph(_("Every requirement, its due date and what the parameters mean: add --verbose."))
        return
    yes = "✓"
    columns = [
        Col(_("Requirement"), title=True),
        Col(_("Filed by"), WRAP),
        Col(_("Count")),
        Col(_("Due")),
        Col(_("Exit condition"), justify="center"),
        Col(_("Title"), TEXT, title=True),
    ]
    for i, phase in enumerate(data["phases"], start=1):
        say("")
        head = f"{i} {phase['title']} ({phase['key']}): {window_text(phase['window'])}"
        if phase["auto_advance"]:
            head += _("; ") + _("auto-advance at the window's end")
        paragraph(head)
        rows = []
        for r in phase["requirements"]:
            title = r["title"] + (f" ({r['note']})" if r["note"] else "")
            if r["only"]:
                title += " " + _("only for: {tags}").format(tags=_(", ").join(r["only"]))
            due = r["due"] or _("phase end")
            count = str(r["count"])
            if "every" in r:
                due, count = _("every {every} from the phase start").format(every=r["every"]), str(r["times"])
            elif "dates" in r:
                due, count = _(", ").join(r["dates"]), str(len(r["dates"]))
            rows.append(
                [
                    r["key"],
                    r["filer_title"],
                    count,
                    due,
                    yes if r["exit"] else "",
                    title,
                ]
            )
        for c in phase["conditions"]:
            if c["type"] == "requirement-filed" and any(
                c.get("requirement") == r["key"] and r["exit"] for r in phase["requirements"]
            ):
                continue
            rows.append([c["type"], "", "", "", yes, c["text"]])
        show(columns, rows)
    say("")
    say(f"{len(data['phases']) + 1} {data['final']['title']} ({data['final']['key']})")
    say("")
    show(
        [
            Col(_("Central body"), title=True),
            Col(_("Names"), WRAP),
            Col(_("E-mail"), WRAP),
            Col(_("Leader"), WRAP),
            Col(_("Deputy"), WRAP),
        ],
        [
            [
                f"{b['key']} {b['title']}",
                _(", ").join(b["aliases"]),
                b["email"] or "",
                b["leader"] or "",
                b["deputy"] or "",
            ]
            for b in data["bodies"]
        ],
    )
    labels = data["labels"]
    paragraph(
        _("Participants are called: {noun}; the commended: {commended}.").format(
            noun=labels["participant"], commended=labels["commended"]
        )
    )
    if labels["item_sources"]:
        paragraph(
            _("Rectification item sources: {v}").format(
                v=_(", ").join(f"{c['key']} ({c['title']})" for c in labels["item_sources"])
            )
        )
    if labels["inspection_kinds"]:
        paragraph(
            _("Inspection kinds: {v}").format(
                v=_(", ").join(f"{c['key']} ({c['title']})" for c in labels["inspection_kinds"])
            )
        )
    if data["submission"]:
        paragraph(_("How to submit (shown in reminder mail): {v}").format(v=data["submission"]))
    cal, rem = data["calendar"], data["reminders"]
    paragraph(
        _("Calendar: working days of {country}; own holidays {h}; make-up working days {w}.").format(
            country=cal["country"],
            h=_(", ").join(cal["holidays"]) or "—",
            w=_(", ").join(cal["workdays"]) or "—",
        )
    )
    paragraph(
        _(
            "Reminders at {at}: {before} days before, on the due date {on_due}, every {every} days "
            "while overdue, escalated after {esc} days; yellow {warn} days ahead."
        ).format(
            at=rem["send_at"],
            before=_(", ").join(map(str, rem["before"])) or "—",
            on_due=yes if rem["on_due"] else "—",
            every=rem["overdue_every"],
            esc=rem["escalate_after"] if rem["escalate_after"] is not None else "—",
            warn=rem["warning_days"],
        )
    )
    sc = data["scoring"]
    if sc is not None:
        paragraph(
            _("Scoring out of {scale}; commended: the top {top} of tier {tier}.").format(
                scale=sc["scale"],
                top=sc["commend"]["top"],
                tier=_("any") if sc["commend"]["tier"] == "any" else sc["commend"]["tier"],
            )
        )
        show(
            [
                Col(_("Evaluator group"), title=True),
                Col(_("Weight")),
                Col(_("Takes"), WRAP),
                Col(_("Drop high/low from")),
            ],
            [
                [
                    f"{g['key']} {g['title']}",
                    str(g["weight"]),
                    _(", ").join(g["accepts"]),
                    "" if g["drop_high_low_min"] is None else str(g["drop_high_low_min"]),
                ]
                for g in sc["groups"]
            ],
        )
        paragraph(
            _("Tiers: {tiers}; vote points: {votes}.").format(
                tiers=_(", ").join(f"{t['title']} ≥ {t['min']}" for t in sc["tiers"]),
                votes=_(", ").join(f"{k} {v}" for k, v in sc["votes"].items()),
            )
        )
    if d.spec.parameters:
        say("")
        show(
            [Col(_("Parameter"), KEEP, title=True), Col(_("Default")), Col(_("Meaning"), TEXT)],
            [[key, str(p.default), pick(p.title.as_dict())] for key, p in d.spec.parameters.items()],
        )


FORMATS = ("mermaid", "svg", "png")
CJK_FONTS = "Noto Sans CJK SC,WenQuanYi Zen Hei,Droid Sans Fallback,sans-serif"


def render_graphviz(machine: object, fmt: str) -> bytes:
    """Run Graphviz on a transitions ``GraphMachine``; a clear error when it is missing."""
    if shutil.which("dot") is None:
        raise ConfigError(
            "--format",
            _(
                "{fmt} needs Graphviz's dot program (Debian: apt-get install graphviz); "
                "or use --format mermaid"
            ).format(fmt=fmt),
        )
    digraph = machine.get_graph()  # type: ignore[attr-defined]  # GraphMachine adds get_graph at run time
    if not chinese_font_installed():
        click.echo(
            _(
                "Warning: no Chinese font is installed (fc-list :lang=zh finds none), so "
                "Chinese text in the {fmt} shows as boxes; install one (Debian: apt-get "
                "install fonts-noto-cjk)."
            ).format(fmt=fmt.upper()),
            err=True,
        )
    digraph.graph_attr.update(fontname=CJK_FONTS, labelloc="t", fontsize="16")
    # One line per alternative and per guard, so labels stay narrow on a portrait page.
    digraph.body[:] = [
        line.replace(" | ", "\\n").replace(" & ", " &\\n") if " -> " in line else line
        for line in digraph.body
    ]
    digraph.node_attr.update(fontname=CJK_FONTS)
    digraph.edge_attr.update(fontname=CJK_FONTS, fontsize="10")
    return bytes(digraph.pipe(format=fmt))


def chinese_font_installed() -> bool:
    """Whether fontconfig (which Graphviz draws with) knows a font with Chinese glyphs."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        found = subprocess.run(
            [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.strip())


@definition.command(
    "graph",
    help=N_("Draw the definition's phases and guarded transitions (Mermaid text, or SVG/PNG via Graphviz)."),
)
@click.argument("file")
@option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="mermaid",
    show_default=True,
    help=N_("Output format."),
)
@option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="PATH",
    help=N_("Write to this file instead of standard output."),
)
@option(
    "--lifecycle",
    type=click.Choice(["phases", "items"]),
    default="phases",
    show_default=True,
    help=N_("phases: an office's record through the phases; items: a rectification item."),
)
@CAMPAIGN_OPT
def definition_graph(file: str, fmt: str, output: Path | None, lifecycle: str, campaign: str | None) -> None:
    from workflow.adapters import definition_files as defs
    from workflow.engine import diagram

    d = defs.load(file)
    counts = title = None
    if lifecycle == "items":
        title = f"{pick(d.spec.title.as_dict())} — {_('rectification item')}"
    elif campaign is not None:
        from workflow.usecases import board as usecases

        st = usecases.status(context(), campaign)
        counts = Counter(r.state for r in st.rows)
        title = f"{st.campaign.title} — {st.campaign.name}"
    if fmt == "mermaid":
        text = diagram.item_mermaid(title) if lifecycle == "items" else diagram.mermaid(d, counts, title)
        data = text.encode("utf-8")
    else:
        try:
            import graphviz  # noqa: F401
        except ImportError:
            raise ConfigError(
                "--format",
                _(
                    "{fmt} needs the graphviz Python package (pip install 'manyi[graph]'); "
                    "or use --format mermaid"
                ).format(fmt=fmt),
            ) from None
        from cli.progress import working

        with working(_("Rendering the graph…")):
            drawn = (
                diagram.item_graph_machine("graphviz", title)
                if lifecycle == "items"
                else diagram.graph_machine(d, "graphviz", counts, title)
            )
            data = render_graphviz(drawn, fmt)
    if output is not None:
        from cli.exports import write_bytes

        write_bytes(output, data)
        say(_("Wrote {path} ({n} bytes).").format(path=output, n=len(data)))
    elif fmt == "png" and sys.stdout.isatty():
        raise ConfigError("--format", _("PNG is binary: give --output FILE"))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
