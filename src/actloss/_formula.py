"""Formulas as Unicode text: the catalog's LaTeX (``formula``, ``derivative_formula``) read in
a terminal or a web page without a TeX renderer (``CatalogEntry.formula_text``).

>>> latex_to_text(r"\\max(0, x)")
'max(0, x)'
"""

from __future__ import annotations

import re
import unicodedata

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
