"""Text for a terminal: tables that fit its width (formulas as text: :mod:`actloss._formula`).

Tables use ``rich`` (the ``progress`` extra) when it is installed, imported on first use; without
it a plain layout wraps the widest columns until the table fits. Both stay within
:func:`width` columns (the terminal's, 80 when the output is a pipe or a file).
"""

from __future__ import annotations

import shutil
import textwrap


def width() -> int:
    """The terminal's width; 80 when stdout is not a terminal (a pipe, a file)."""
    return max(40, shutil.get_terminal_size((80, 24)).columns)


def table(header, rows, max_width: int | None = None, wrap=None) -> str:
    """``rows`` (lists of strings) under ``header`` as text no wider than ``max_width``.

    ``wrap``: the names of the columns that may wrap (default: all); the others keep their
    width, so names and numbers stay on one line."""
    max_width = max_width or width()
    try:
        from rich import box
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        return plain_table(header, rows, max_width, wrap)
    t = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, padding=(0, 1),
              collapse_padding=True)
    for h in header:
        fixed = wrap is not None and h not in wrap
        t.add_column(h, overflow="fold", no_wrap=fixed)
    for r in rows:
        t.add_row(*r)
    console = Console(width=max_width, color_system=None, highlight=False, soft_wrap=False,
                      record=True, file=_Null())
    console.print(t)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()).strip("\n")


class _Null:
    def write(self, text):
        return len(text)

    def flush(self):
        pass


def plain_table(header, rows, max_width: int = 80, wrap=None) -> str:
    """The table without rich: columns two spaces apart; the widest columns wrap until it fits.

    >>> print(plain_table(["name", "summary"], [["relu", "max(0, x): cheap, sparse"]], 24))
    name  summary
    ----  ------------------
    relu  max(0, x): cheap,
          sparse
    """
    rows = [list(map(str, r)) for r in rows]
    n = len(header)
    widths = [max(len(line) for c in [header[i], *(r[i] for r in rows)]
                  for line in str(c).splitlines() or [""]) for i in range(n)]
    # a wrapping column keeps room for its header and its longest word (up to 14 characters)
    words = [max([len(x) for c in [header[i], *(r[i] for r in rows)] for x in str(c).split()]
                 or [0]) for i in range(n)]
    floor = [w if wrap is not None and header[i] not in wrap else
             min(w, max(6, len(str(header[i])), min(words[i], 14))) for i, w in enumerate(widths)]
    while sum(widths) + 2 * (n - 1) > max_width:
        i = max(range(n), key=lambda k: widths[k] - floor[k])
        if widths[i] <= floor[i]:
            break
        widths[i] -= 1

    def lines(cells):
        wrapped = [[piece for line in str(c).splitlines()
                    for piece in textwrap.wrap(line, w, break_on_hyphens=False) or [""]] or [""]
                   for c, w in zip(cells, widths)]
        for k in range(max(len(w) for w in wrapped)):
            yield "  ".join((w[k] if k < len(w) else "").ljust(widths[i])
                            for i, w in enumerate(wrapped)).rstrip()

    out = list(lines(header))
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out += list(lines(r))
    return "\n".join(out)


def ranking_table(ranking, max_width: int | None = None) -> str:
    """A comparison's ranked table for the terminal: columns that are the same in every row
    (the loss, optimizer, learning rate of a one-loss grid) said once above it, no ``± 0.000``
    for one seed; then the errors of failed configurations."""
    from ..experiments import ranking_rows

    header, rows = ranking_rows(ranking)
    same = [i for i, h in enumerate(header) if h in ("activation", "loss", "optimizer", "lr")
            and len(rows) > 1 and len({r[i] for r in rows}) == 1]
    if "ok" in header:  # every seed finished everywhere: the column says nothing
        k = header.index("ok")
        if all(len(set(r[k].split("/"))) == 1 for r in rows):
            same.append(k)
    keep = [i for i in range(len(header)) if i not in same]
    header = [h.replace(" accuracy", " acc") for h in header]
    lines = []
    if same:
        lines.append("All rows: " + ", ".join(f"{header[i]} {rows[0][i]}" for i in same
                                              if header[i] != "ok"))
    lines.append(table([header[i] for i in keep], [[r[i] for i in keep] for r in rows],
                       max_width, wrap=("activation", "loss", "optimizer", "grad 1st/last")))
    for e in ranking:
        for err in e["errors"]:
            lines.append(f"failed: {e['activation']} / {e['label']} / {e['optimizer']} "
                         f"lr={e['learning_rate']:g}: {err}")
    return "\n".join(lines)
