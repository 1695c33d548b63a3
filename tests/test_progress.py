"""core/progress.py: the bar the long commands draw on stderr (done / total, rate, time left),
only on a terminal, at most four drawings a second; ``track`` and ``count_lines`` that feed it."""

import io

from core import progress as progress_module
from core.progress import INTERVAL, ProgressBar, count_lines, track


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def drawings(stream: io.StringIO) -> list[str]:
    """What the terminal showed after each redraw (carriage returns split them), trailing blanks off."""
    return [part.rstrip(" \n") for part in stream.getvalue().split("\r") if part.strip()]


def test_the_bar_shows_done_of_total_rate_and_time_left():
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, unit="rows", clock=clock)
    bar(0, 1000, "Importing")
    clock.now += 2
    bar(250, 1000, "Importing")
    shown = drawings(stream)
    assert shown[0].startswith("Importing  [>")
    assert shown[1] == "Importing  [=====>              ]  25%  250/1,000 rows  125/s  0:00:06 left"


def test_thousands_separators_and_the_end_of_a_stage():
    stream, clock = Terminal(), Clock()
    with ProgressBar(stream, unit="DIDs", clock=clock) as bar:
        bar(0, 2_000_000)
        clock.now += 10
        bar(2_000_000, 2_000_000)
    assert drawings(stream)[-1] == "[====================] 100%  2,000,000/2,000,000 DIDs  200,000/s  done in 0:00:10"
    assert stream.getvalue().endswith("\n")  # the shell's prompt starts on a line of its own


def test_an_unknown_total_shows_the_count_rate_and_time_so_far():
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, unit="rows", clock=clock)
    bar(0, None, "Reading")
    clock.now += 4
    bar(10_000, None, "Reading")
    assert drawings(stream)[-1] == "Reading  10,000 rows  2,500/s  0:00:04 elapsed"


def test_a_total_counted_ahead_never_shows_more_than_100_percent():
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, clock=clock)
    bar(0, 10)
    clock.now += 1
    bar(12, 10)
    assert "100%  12/12 rows" in drawings(stream)[-1]


def test_at_most_four_drawings_a_second_but_always_the_last():
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, clock=clock)
    bar(0, 100)
    for done in range(1, 50):
        clock.now += INTERVAL / 8
        bar(done, 100)  # 49 calls in about 1.5 s
    assert [line.split("%")[0].split()[-1] for line in drawings(stream)] == ["0", "8", "16", "24", "32", "40", "48"]
    clock.now += INTERVAL / 8
    bar(100, 100)  # done is always shown
    assert len(drawings(stream)) == 8 and "100%" in drawings(stream)[-1]


def test_a_new_stage_starts_a_new_line_with_its_own_rate():
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, clock=clock)
    bar(0, 100, "Checking")
    clock.now += 10
    bar(100, 100, "Checking")
    bar(0, 100, "Importing")
    clock.now += 1
    bar(50, 100, "Importing")
    lines = stream.getvalue().split("\n")
    assert len(lines) == 2 and "Checking" in lines[0] and "Importing" in lines[1]
    assert lines[1].rstrip().endswith("50/100 rows  50/s  0:00:01 left")


def test_a_longer_line_before_is_wiped():
    stream, clock = Terminal(), Clock()
    bar = ProgressBar(stream, clock=clock)
    bar(0, None)
    clock.now += 1
    bar(1_000_000, None)
    clock.now += 1
    bar(1_000_001, None)
    previous, last = stream.getvalue().split("\r")[-2:]
    assert len(last) >= len(previous)


def test_nothing_is_written_when_the_stream_is_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    assert not bar.enabled and bar.callback is None  # a service gets None: no counting ahead
    bar(5, 10)
    bar.close()
    assert stream.getvalue() == ""


def test_nothing_is_written_when_switched_off_on_a_terminal():
    stream = Terminal()
    bar = ProgressBar(stream, enabled=False)
    assert bar.callback is None
    bar(5, 10)
    bar.close()
    assert stream.getvalue() == ""


def test_track_reports_every_few_items_and_the_true_count_at_the_end(monkeypatch):
    monkeypatch.setattr(progress_module, "EVERY", 2)
    calls = []
    items = list(track(iter("abcde"), lambda *args: calls.append(args), total=9, stage="Reading"))
    assert items == list("abcde")
    assert calls == [(0, 9, "Reading"), (2, 9, "Reading"), (4, 9, "Reading"), (5, 5, "Reading")]


def test_track_without_a_callback_hands_back_the_items_themselves():
    items = iter("abc")
    assert track(items, None, total=None) is items


def test_count_lines_with_and_without_a_final_line_break(tmp_path):
    (ended := tmp_path / "ended.csv").write_bytes(b"a\nb\nc\n")
    (open_ := tmp_path / "open.csv").write_bytes(b"a\nb\nc")
    (empty := tmp_path / "empty.csv").write_bytes(b"")
    (big := tmp_path / "big.csv").write_bytes(b"0123456789\n" * 300_000)  # more than one block read
    assert [count_lines(ended), count_lines(open_), count_lines(empty), count_lines(big)] == [3, 3, 0, 300_000]
