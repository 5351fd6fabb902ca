"""Text for a terminal: tables that fit its width, and formulas without LaTeX.

Tables use ``rich`` (the ``progress`` extra) when it is installed, imported on first use; without
it a plain layout wraps the widest columns until the table fits. Both stay within
:func:`width` columns (the terminal's, 80 when the output is a pipe or a file).
"""

from __future__ import annotations

import re
import shutil
import textwrap
import unicodedata


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


# LaTeX -> Unicode text ------------------------------------------------------------------------

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ",
    "lambda": "λ", "mu": "μ", "pi": "π", "sigma": "σ", "tau": "τ", "varphi": "φ", "phi": "φ",
    "Phi": "Φ", "Sigma": "Σ", "ell": "ℓ", "partial": "∂", "odot": "⊙", "le": "≤", "leq": "≤",
    "ge": "≥", "geq": "≥", "approx": "≈", "cdot": "·", "times": "×", "sum": "Σ", "prod": "Π",
    "langle": "⟨", "rangle": "⟩", "lVert": "‖", "rVert": "‖", "Vert": "‖", "infty": "∞",
    "in": "∈", "to": "→", "neq": "≠", "pm": "±", "{": "{", "}": "}", "|": "‖", "%": "%",
}
_FUNCTIONS = {"max", "min", "log", "exp", "tanh", "sech", "cosh", "sinh", "sin", "cos", "arg",
              "erf", "ln", "sign"}
_SPACES = {",": " ", ";": " ", ":": " ", " ": " ", "quad": "  ", "qquad": "  ", "!": ""}
_DROP = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "textstyle",
         "displaystyle", "limits"}
_SUP = dict(zip("0123456789+-=()nix", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣ"))
_SUB = dict(zip("0123456789+-=ijk", "₀₁₂₃₄₅₆₇₈₉₊₋₌ᵢⱼₖ"))


def _arg(s: str, i: int) -> tuple[str, int]:
    """The argument at ``s[i]``: a {group}, a \\command, or one character."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        return "", i
    if s[i] == "{":
        depth = 0
        for j in range(i, len(s)):
            depth += {"{": 1, "}": -1}.get(s[j], 0)
            if depth == 0:
                return s[i + 1:j], j + 1
        return s[i + 1:], len(s)
    if s[i] == "\\":
        m = re.match(r"\\([A-Za-z]+|.)", s[i:])
        return m.group(0), i + len(m.group(0))
    return s[i], i + 1


_TERM = re.compile(r"∂?[^\W\d_][\w'\u0302ⁱˣⁿ⁰¹²³⁴-⁹ᵢⱼₖ₀-₉]*|\d+(\.\d+)?|‖[^‖ ]+‖")
# commands that do not start a term (after a fraction, "a/b \le c" needs no parentheses)
_NOT_TERM = {",", ";", ":", " ", "!", "quad", "qquad", "le", "leq", "ge", "geq", "approx",
             "cdot", "times", "to", "in", "neq", "pm", "right", "bigr", "Bigr", "end", "\\"}


def _balanced_call(text: str) -> bool:
    """``name(...)`` whose first parenthesis closes at the very end: one term."""
    m = re.match(r"[A-Za-z]{2,}\(|√\(", text)  # min(...), softmax(...); not p(1-p)
    if not m or not text.endswith(")"):
        return False
    depth = 0
    for k in range(m.end() - 1, len(text)):
        depth += {"(": 1, ")": -1}.get(text[k], 0)
        if depth == 0:
            return k == len(text) - 1
    return False


def _wrap(text: str) -> str:
    """Parentheses around a fraction's part unless it is one simple term."""
    return text if _TERM.fullmatch(text) or _balanced_call(text) else f"({text})"


def _starts_term(rest: str) -> bool:
    m = re.match(r"\s*(\\([A-Za-z]+|.)|[A-Za-z0-9(\[{|])", rest)
    return bool(m) and not (m.group(2) and m.group(2) in _NOT_TERM)


def _script(text: str, table: dict, mark: str) -> str:
    if text and all(c in table for c in text):
        return "".join(table[c] for c in text)
    return mark + (text if len(text) == 1 else f"({text})")


def _cases(body: str) -> str:
    parts = []
    for row in re.split(r"\\\\", body):
        if not row.strip():
            continue
        value, _, condition = row.partition("&")
        value, condition = latex_to_text(value), latex_to_text(condition)
        parts.append(value if not condition else
                     f"{value} {condition}" if condition == "otherwise" else
                     f"{value} if {condition}")
    return "{ " + "; ".join(parts) + " }"


def latex_to_text(s: str) -> str:
    """A LaTeX formula as Unicode text for a terminal.

    >>> latex_to_text(r"\\sigma(x) = \\frac{1}{1 + e^{-x}}")
    'σ(x) = 1/(1 + e⁻ˣ)'
    >>> latex_to_text(r"f'(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & x \\le 0 \\end{cases}")
    "f'(x) = { 1 if x > 0; 0 if x ≤ 0 }"
    >>> latex_to_text(r"\\frac{\\partial \\ell}{\\partial \\hat y_k} = \\frac{2}{d}(\\hat y_k - y_k)")
    '∂ℓ/∂ŷₖ = (2/d)(ŷₖ - yₖ)'
    """
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", s[i:])
            name, i = m.group(1), i + len(m.group(0))
            if name == "begin":
                env, i = _arg(s, i)
                end = s.find(f"\\end{{{env}}}", i)
                end = len(s) if end < 0 else end
                out.append(_cases(s[i:end]))
                i = end + len(f"\\end{{{env}}}")
            elif name in ("frac", "tfrac", "dfrac"):
                num, i = _arg(s, i)
                den, i = _arg(s, i)
                frac = f"{_wrap(latex_to_text(num))}/{_wrap(latex_to_text(den))}"
                # "1/d Σ" would read as 1/(d Σ): a fraction times a term gets parentheses
                after_function = bool(out) and out[-1].strip() in _FUNCTIONS  # log(y/p)
                out.append(f"({frac})" if _starts_term(s[i:]) or after_function else frac)
            elif name == "sqrt":
                arg, i = _arg(s, i)
                inner = latex_to_text(arg)
                out.append("√" + (inner if len(inner) == 1 else f"({inner})"))
            elif name == "hat":
                arg, i = _arg(s, i)
                out.append(latex_to_text(arg) + "\u0302")
            elif name in ("operatorname", "mathrm", "mathbf", "mathit"):
                arg, i = _arg(s, i)
                out.append(latex_to_text(arg))
            elif name in ("text", "textrm"):
                arg, i = _arg(s, i)
                out.append(arg)
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name in _SPACES:
                out.append(_SPACES[name])
            elif name in _DROP:
                pass
            elif name in _FUNCTIONS:
                nxt = s[i:i + 1]
                out.append(name + (" " if nxt and nxt not in "(_^ {['" else ""))
            else:
                out.append(name)
        elif c in "^_":
            arg, i = _arg(s, i + 1)
            text = latex_to_text(arg)
            out.append(_script(text, _SUP if c == "^" else _SUB, c))
        elif c == "{":
            arg, i = _arg(s, i)
            out.append(latex_to_text(arg))
        elif c == "~":
            out.append(" ")
            i += 1
        else:
            out.append(c)
            i += 1
    text = re.sub(r" {2,}", " ", "".join(out)).strip()
    text = re.sub(r"([∂⟨]|‖(?=\s*\w)) +", r"\1", text)
    return unicodedata.normalize("NFC", text)  # y + combining hat -> one character


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
