"""``manyi definition graph``: the phase machine as Mermaid text, SVG or PNG.

SVG and PNG are drawn by Graphviz: this module is the one place that runs ``dot``.
Graphviz finds its fonts through fontconfig; with no Chinese font installed it draws
every Chinese character as a box, so we ask fontconfig first and warn.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import click

from cli.commands import CAMPAIGN_OPT, _ctx, definition
from cli.console import say
from cli.main import option
from workflow.errors import ConfigError
from workflow.i18n import N_, _, pick

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
        from workflow.usecases import campaign as usecases

        st = usecases.status(_ctx(), campaign)
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
        output.write_bytes(data)
        say(_("Wrote {path} ({n} bytes).").format(path=output, n=len(data)))
    elif fmt == "png" and sys.stdout.isatty():
        raise ConfigError("--format", _("PNG is binary: give --output FILE"))
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
