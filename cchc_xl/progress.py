"""The text progress bar of the command line — drawn only on a terminal.

``[#######-------]  50% message`` redrawn in place with a carriage return, as tqdm and rich do: only when the
stream is an interactive terminal. Into a log file, a pipe or a scheduler's capture nothing is written (no
``\\r`` garbage); the command's own summary says what happened.

>>> import io
>>> bar = text_progress(io.StringIO())   # not a terminal → a callback that draws nothing
>>> bar(0.5, "Đang đọc…") is None
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["text_progress", "Progress"]

Progress = Callable[[float, str], None]


def _silent(fraction: float, message: str) -> None:
    return None


def _is_terminal(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def text_progress(stream=None, width: int = 30, quiet: bool = False) -> Progress:
    """A ``progress(fraction, message)`` callback drawing a bar on ``stream`` (default stderr) when it is a
    terminal; otherwise, or with ``quiet``, a callback that does nothing."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not _is_terminal(stream):
        return _silent

    def show(fraction: float, message: str) -> None:
        f = min(max(fraction, 0.0), 1.0)
        n = int(round(f * width))
        stream.write(f"\r[{'#' * n}{'-' * (width - n)}] {int(f * 100):3d}% {message[:60]:<60}")
        if f >= 1.0:
            stream.write("\n")
        stream.flush()

    return show
