"""The progress display of fit, evaluate and predict, in Keras 3's layout::

    Epoch 1/5
    12/12 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - accuracy: 0.9700 - loss: 0.0800 - val_accuracy: 0.9500 - val_loss: 0.1200

The metrics follow in alphabetical order (so ``val_`` ones come last), each with 4 decimals
(``.4e`` below 1e-3 in magnitude, as Keras's ``Progbar``). A line longer than the terminal is
wrapped between two metrics onto an indented next line, never cut inside one (tqdm's postfix
was cut at the terminal's width).

``verbose=1`` redraws the line in place while the epoch runs, with ``rich`` (the ``progress``
extra, imported only then; Keras draws with rich too). Without rich, or when the output is not
a terminal, the same text is written as plain lines (the bar's rest drawn ``─``): during the epoch a single ``\\r`` line
with the bar and what fits of the metrics, and the whole (wrapped) line at its end.
``verbose=2`` writes one line per epoch, as Keras: ``12/12 - 0s - 3ms/step - loss: ...``.
"""

from __future__ import annotations

import shutil
import sys
import time

BAR = 20  # cells of the bar, as Keras's Progbar
INDENT = "    "


def format_value(v) -> str:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{v:.4f}" if v == 0 or abs(v) >= 1e-3 or v != v else f"{v:.4e}"


def metric_parts(logs: dict) -> list:
    return [f"{k}: {format_value(v)}" for k, v in sorted((logs or {}).items())]


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


def _per_step(seconds: float, steps: int) -> str:
    per = seconds / max(steps, 1)
    if per >= 1:
        return f"{per:.0f}s/step"
    if per >= 1e-3:
        return f"{per * 1e3:.0f}ms/step"
    return f"{per * 1e6:.0f}us/step"


def wrap(head: str, parts: list, width: int) -> list:
    """``head - part - part ...`` in lines of at most ``width`` characters, broken only between
    parts (a part longer than a line gets a line of its own)."""
    lines, line = [], head
    for part in parts:
        piece = f" - {part}"
        if len(line) + len(piece) > width and line.strip():
            lines.append(line)
            line = f"{INDENT}{part}"
        else:
            line += piece
    lines.append(line)
    return lines


class Progbar:
    """One progress line (a fit epoch, an evaluate or a predict call) of ``target`` steps."""

    def __init__(self, target, verbose=1, stream=None, width=None):
        self.target, self.verbose = target, verbose
        self.stream = stream or sys.stdout
        self._width = width
        self._start = time.perf_counter()
        self._last_draw = 0.0
        self._live = self._console = None
        self._plain_len = 0
        if verbose == 1 and self._is_terminal():
            try:
                from rich.console import Console  # lazy: the `progress` extra
                from rich.live import Live
            except ImportError:
                Console = None
            if Console is not None:
                self._console = Console(file=self.stream, width=width, highlight=False,
                                        soft_wrap=False)
                self._live = Live(console=self._console, auto_refresh=False, transient=False,
                                  redirect_stdout=False, redirect_stderr=False)
                self._live.start()

    def _is_terminal(self) -> bool:
        return bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def width(self) -> int:
        if self._width is not None:
            return self._width
        if self._console is not None:
            return self._console.width
        return shutil.get_terminal_size((80, 24)).columns

    def _head(self, current: int, final: bool) -> tuple:
        target = self.target
        elapsed = time.perf_counter() - self._start
        if target:
            digits = len(str(target))
            done = min(BAR, int(BAR * current / target))
            count = f"{current:>{digits}}/{target}"
        else:
            done, count = BAR if final else 0, f"{current}/Unknown"
        if final:
            timing = f"{_duration(elapsed)} {_per_step(elapsed, current)}"
        elif target and current:
            timing = f"{_duration(elapsed / current * (target - current))} " \
                     f"{_per_step(elapsed, current)}"
        else:
            timing = f"{_duration(elapsed)}"
        return count, done, timing, elapsed

    def update(self, current: int, logs=None, final: bool = False) -> None:
        """Show ``current`` steps done; redraws at most 20 times a second, and always when
        ``final``."""
        if self.verbose != 1 and not final:
            return
        now = time.perf_counter()
        if not final and now - self._last_draw < 0.05:
            return
        self._last_draw = now
        count, done, timing, elapsed = self._head(current, final)
        parts = metric_parts(logs)
        if self.verbose == 2:
            if final:
                lines = wrap(f"{count} - {_duration(elapsed)} - {_per_step(elapsed, current)}",
                             parts, self.width)
                print("\n".join(lines), file=self.stream, flush=True)
            return
        bar = "━" * done + "─" * (BAR - done)  # plain text: the rest of the bar thinner
        lines = wrap(f"{count} {bar} {timing}", parts, self.width)
        if self._live is not None:
            from rich.text import Text
            text = Text(no_wrap=True, overflow="ignore")
            first = lines[0]
            bar_at = len(count) + 1
            text.append(first[:bar_at])
            text.append("━" * done, style="bold")
            text.append("━" * (BAR - done), style="dim")
            text.append(first[bar_at + BAR:])
            for line in lines[1:]:
                text.append("\n" + line)
            self._live.update(text, refresh=True)
            if final:
                self._live.stop()
                self._live = None
            return
        if final:
            pad = " " * max(0, self._plain_len - len(lines[0]))
            print("\r" + lines[0] + pad if self._plain_len else lines[0], file=self.stream)
            for line in lines[1:]:
                print(line, file=self.stream)
            self.stream.flush()
            self._plain_len = 0
        elif self._is_terminal():  # one \r line: the bar and the metrics that fit
            line = lines[0]
            pad = " " * max(0, self._plain_len - len(line))
            self.stream.write("\r" + line + pad)
            self.stream.flush()
            self._plain_len = len(line)

    def close(self) -> None:
        """Stop drawing (an interrupted run): leaves what is shown as it is."""
        if self._live is not None:
            self._live.stop()
            self._live = None
        elif self._plain_len:
            print(file=self.stream)
            self._plain_len = 0
