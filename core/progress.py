"""A progress bar for long commands (import_dids, rate_cdrs, run_billing, check_ledger).

Services never print: they take an optional ``progress`` callback and call it as
``progress(done, total, stage)`` (``total`` None when unknown, ``stage`` a word such as
"Checking"). A command hands them a ``ProgressBar``, which draws one line on stderr:

    Importing  [=========>          ]  45%  450,000/1,000,000 rows  81,234/s  0:00:06 left

It draws only when stderr is a terminal and ``--no-progress`` was not given (cron mails and
pipes stay clean), at most four times a second, and never on stdout, so a command's report
and exit status are unchanged. Written here rather than taken from PyPI (tqdm, rich): the
services report through a callback, not an iterator, and these few lines cost less than a
dependency to pin and audit (docs/decisions.md).
"""

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from time import monotonic

Progress = Callable[..., None]  # progress(done: int, total: int | None, stage: str = "")

INTERVAL = 0.25  # seconds between two drawings: at most four a second
WIDTH = 20  # characters of the bar itself
EVERY = 1000  # items between two calls of the callback from ``track``: cheap beside reading a row


def add_progress_option(parser) -> None:
    parser.add_argument("--no-progress", action="store_true",
                        help="Draw no progress bar (none is drawn anyway when stderr is not a terminal).")


def count_lines(path: Path) -> int:
    """The file's lines, counted on its bytes (a fraction of a second for 100 MB): the total
    of a progress bar over its rows, before they are read."""
    lines, last = 0, b"\n"
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            lines += block.count(b"\n")
            last = block[-1:]
    return lines + (last != b"\n")


def track(items: Iterable, progress: Progress | None, *, total: int | None, stage: str = "") -> Iterable:
    """``items`` unchanged, calling ``progress`` every EVERY items and once at the end
    (with the true count as the total). Without a callback, ``items`` itself: no cost."""
    if progress is None:
        return items
    return _tracked(items, progress, total, stage)


def _tracked(items: Iterable, progress: Progress, total: int | None, stage: str) -> Iterator:
    done, every = 0, EVERY
    progress(0, total, stage)
    for item in items:
        yield item
        done += 1
        if done % every == 0:
            progress(done, total, stage)
    progress(done, done, stage)


def duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressBar:
    """One line on ``stream``, redrawn in place; a new line for each stage. Use as a context
    manager (or call ``close``) so the last drawing ends with a line break."""

    def __init__(self, stream, *, unit: str = "rows", enabled: bool | None = None,
                 clock: Callable[[], float] | None = None):
        self.stream, self.unit, self.clock = stream, unit, clock or monotonic
        self.enabled = _is_terminal(stream) if enabled is None else enabled
        self.stage: str | None = None
        self.started = self.drawn_at = 0.0
        self.shown = ""  # the line on screen now ("" before the first drawing of a stage)
        self.drawn: tuple = ()  # (done, total) of that line

    @classmethod
    def for_command(cls, command, options: dict, *, unit: str) -> "ProgressBar":
        """The bar on a management command's stderr, off under --no-progress."""
        return cls(_CommandStream(command.stderr), unit=unit,
                   enabled=False if options.get("no_progress") else None)

    @property
    def callback(self) -> "ProgressBar | None":
        """What to hand a service: None when nothing is drawn, so it does no extra work (counts)."""
        return self if self.enabled else None

    def __call__(self, done: int, total: int | None = None, stage: str = "") -> None:
        if not self.enabled:
            return
        now = self.clock()
        if stage != self.stage:
            self._end_line()
            self.stage, self.started = stage, now
        elif self.shown and (now - self.drawn_at < INTERVAL and done != total or self.drawn == (done, total)):
            return
        self._draw(self._line(done, total, now - self.started))
        self.drawn_at, self.drawn = now, (done, total)

    def _line(self, done: int, total: int | None, elapsed: float) -> str:
        parts = [self.stage] if self.stage else []
        if total is not None:
            total = max(total, done)  # a total counted ahead (lines of a file) is an estimate
            share = done / total if total else 1.0
            filled = int(WIDTH * share)
            arrow = ">" if filled < WIDTH else ""
            parts.append(f"[{'=' * filled}{arrow}{' ' * (WIDTH - filled - len(arrow))}] {share:4.0%}")
            parts.append(f"{done:,}/{total:,} {self.unit}")
        else:
            parts.append(f"{done:,} {self.unit}")
        rate = done / elapsed if elapsed > 0 else 0.0
        if rate:
            parts.append(f"{rate:,.0f}/s")
        if total is not None and done < total and rate:
            parts.append(f"{duration((total - done) / rate)} left")
        else:
            parts.append(f"{duration(elapsed)} elapsed" if total is None or done < total else
                         f"done in {duration(elapsed)}")
        return "  ".join(parts)

    def _draw(self, line: str) -> None:
        padding = " " * max(len(self.shown) - len(line), 0)  # wipe the end of a longer line before
        self.stream.write(f"\r{line}{padding}")
        self.stream.flush()
        self.shown = line

    def _end_line(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = ""

    def close(self) -> None:
        self._end_line()

    def __enter__(self) -> "ProgressBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_terminal(stream) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class _CommandStream:
    """A command's stderr (Django's OutputWrapper) written as is: no line ending added, not
    coloured as an error."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def isatty(self) -> bool:
        return self.wrapper.isatty()

    def write(self, text: str) -> None:
        self.wrapper.write(text, style_func=str, ending="")

    def flush(self) -> None:
        self.wrapper.flush()
