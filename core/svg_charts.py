"""Bar and line charts drawn on the server as SVG: no script, no inline style (the CSP allows
neither), only SVG presentation attributes and classes. Each chart is an accessible image
(role="img" with a <title> and a <desc>) followed by a visually hidden table of the same
values, so a screen reader gets the figures and a sighted user the picture.

Coordinates are computed with Decimal (values may be money; a float never touches them) and
written with one decimal place. The chart is drawn in a fixed viewBox and scales to its box's
width (width="100%"), so it fits a phone as well as a desktop.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe

WIDTH = 480  # about the width a chart gets on a desktop, so its text is drawn near its size
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 56, 8, 12, 32  # room for the axis labels
BAR_FILL = "#0d6efd"
NEGATIVE_FILL = "#dc3545"
LINE_STROKE = "#198754"
GRID_STROKE = "#dee2e6"
TEXT_FILL = "#555555"
_ids = iter(range(1, 10**9))


@dataclass(frozen=True)
class Point:
    label: str  # shown under the axis (may be thinned out) and in the table
    value: Decimal
    text: str = ""  # the value as the table shows it ("1,234.5000"); default: the value
    short: str = ""  # the label under the axis ("Dec"); default: the label


def _n(value: Decimal) -> str:
    """One decimal place, no exponent: SVG coordinates."""
    return str(Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _scale(points: list[Point]):
    """(y of a value, y of zero): the range always holds zero, so bars start at the axis."""
    values = [Decimal(p.value) for p in points] or [Decimal(0)]
    top, bottom = max(max(values), Decimal(0)), min(min(values), Decimal(0))
    if top == bottom:
        top = bottom + 1
    plot = Decimal(HEIGHT - TOP - BOTTOM)

    def y(value) -> Decimal:
        return TOP + (top - Decimal(value)) * plot / (top - bottom)

    return y, top, bottom


def _axis(y, top: Decimal, bottom: Decimal, value_text) -> list[str]:
    parts = []
    for value in sorted({top, bottom, Decimal(0)}):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_n(y(value))}" y2="{_n(y(value))}" '
                     f'stroke="{GRID_STROKE}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{_n(y(value) + 4)}" text-anchor="end" font-size="13" '
                     f'fill="{TEXT_FILL}">{escape(value_text(value))}</text>')
    return parts


def _labels(points: list[Point], centre) -> list[str]:
    """The category labels under the plot (their short form): at most about 6, so they never overlap."""
    every = max(1, -(-len(points) // 6))
    last = len(points) - 1
    labels = []
    for i, p in enumerate(points):
        if (last - i) % every:
            continue
        # The last label ends at the edge instead of being centred past it.
        x, anchor = (WIDTH - 2, "end") if i == last and last else (centre(i), "middle")
        labels.append(f'<text x="{_n(x)}" y="{HEIGHT - BOTTOM + 18}" text-anchor="{anchor}" font-size="13" '
                      f'fill="{TEXT_FILL}">{escape(p.short or p.label)}</text>')
    return labels


def _frame(title: str, description: str, body: list[str], points: list[Point], value_heading: str,
           label_heading: str, testid: str) -> SafeString:
    n = next(_ids)
    rows = "".join(f"<tr><th scope=\"row\">{escape(p.label)}</th><td>{escape(p.text or str(p.value))}</td></tr>"
                   for p in points)
    svg = (
        f'<svg class="svg-chart" data-testid="{escape(testid)}" role="img" width="100%" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="xMidYMid meet" '
        f'aria-labelledby="chart-title-{n} chart-desc-{n}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title-{n}">{escape(title)}</title><desc id="chart-desc-{n}">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )
    table = (
        # In a hidden box, not a hidden table: a table is never narrower than its content.
        f'<div class="visually-hidden"><table><caption>{escape(title)}</caption>'
        f'<thead><tr><th scope="col">{escape(label_heading)}</th><th scope="col">{escape(value_heading)}</th>'
        f"</tr></thead><tbody>{rows}</tbody></table></div>"
    )
    return mark_safe(svg + table)  # every text above is escaped


def bar_chart(points: list[Point], *, title: str, description: str = "", value_heading: str = "Value",
              label_heading: str = "Period", value_text=lambda v: f"{v:,}", testid: str = "chart") -> SafeString:
    """One bar per point, negative values below the zero line (in red)."""
    y, top, bottom = _scale(points)
    slot = Decimal(WIDTH - LEFT - RIGHT) / max(len(points), 1)
    bar = slot * Decimal("0.7")

    def centre(i: int) -> Decimal:
        return LEFT + slot * i + slot / 2

    body = _axis(y, top, bottom, value_text)
    zero = y(0)
    for i, p in enumerate(points):
        value_y = y(p.value)
        upper, height = min(value_y, zero), abs(zero - value_y)
        fill = NEGATIVE_FILL if p.value < 0 else BAR_FILL
        body.append(
            f'<rect x="{_n(centre(i) - bar / 2)}" y="{_n(upper)}" width="{_n(bar)}" height="{_n(height)}" '
            f'fill="{fill}"><title>{escape(p.label)}: {escape(p.text or str(p.value))}</title></rect>'
        )
    body += _labels(points, centre)
    return _frame(title, description or title, body, points, value_heading, label_heading, testid)


def line_chart(points: list[Point], *, title: str, description: str = "", value_heading: str = "Value",
               label_heading: str = "Period", value_text=lambda v: f"{v:,}", testid: str = "chart") -> SafeString:
    """A line through the points, a dot on each (its exact value in the dot's tooltip)."""
    y, top, bottom = _scale(points)
    step = Decimal(WIDTH - LEFT - RIGHT) / max(len(points), 1)

    def centre(i: int) -> Decimal:
        return LEFT + step * i + step / 2

    body = _axis(y, top, bottom, value_text)
    if points:
        path = " ".join(f"{_n(centre(i))},{_n(y(p.value))}" for i, p in enumerate(points))
        body.append(f'<polyline points="{path}" fill="none" stroke="{LINE_STROKE}" stroke-width="2.5"/>')
        body += [
            f'<circle cx="{_n(centre(i))}" cy="{_n(y(p.value))}" r="4" fill="{LINE_STROKE}">'
            f"<title>{escape(p.label)}: {escape(p.text or str(p.value))}</title></circle>"
            for i, p in enumerate(points)
        ]
    body += _labels(points, centre)
    return _frame(title, description or title, body, points, value_heading, label_heading, testid)
