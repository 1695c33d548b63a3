"""The hand-written SVG charts: accessible, exact, nothing the CSP refuses."""

import re
from decimal import Decimal

from core.svg_charts import Point, bar_chart, line_chart

D = Decimal
POINTS = [Point("Jan 2027", D("10.5000"), "10.5000", "Jan"), Point("Feb 2027", D("-2.2500"), "-2.2500", "Feb"),
          Point("Mar 2027", D("0"), "0.0000", "Mar")]


def test_bar_chart_is_an_accessible_image_with_a_table_of_its_values():
    svg = str(bar_chart(POINTS, title="Margin per month", description="Earned less paid."))
    assert re.search(r'<svg [^>]*role="img"', svg)
    assert re.search(r'<title id="chart-title-\d+">Margin per month</title>', svg)
    assert re.search(r'<desc id="chart-desc-\d+">Earned less paid.</desc>', svg)
    table = svg[svg.index('<div class="visually-hidden">'):]
    cells = re.findall(r'<th scope="row">([^<]*)</th><td>([^<]*)</td>', table)
    assert cells == [("Jan 2027", "10.5000"), ("Feb 2027", "-2.2500"), ("Mar 2027", "0.0000")]
    assert svg.count("<rect ") == 3


def test_a_negative_bar_is_drawn_down_from_zero_in_red():
    svg = str(bar_chart(POINTS, title="t"))
    rects = re.findall(r'<rect x="[^"]*" y="([^"]*)" width="[^"]*" height="([^"]*)" fill="([^"]*)"', svg)
    (jan_y, jan_h, jan_fill), (feb_y, feb_h, feb_fill), (_, mar_h, _) = rects
    zero = D(jan_y) + D(jan_h)
    assert D(feb_y) == zero and D(feb_h) > 0 and feb_fill != jan_fill
    assert D(jan_h) > D(feb_h) and D(mar_h) == 0


def test_line_chart_has_a_dot_per_point_and_the_exact_values():
    svg = str(line_chart(POINTS, title="Revenue"))
    assert svg.count("<circle ") == 3 and "<polyline " in svg
    assert "<title>Feb 2027: -2.2500</title>" in svg


def test_no_style_attribute_no_script_and_text_escaped():
    svg = str(bar_chart([Point('<b onclick="x">', D(1))], title='"><script>alert(1)</script>'))
    svg += str(line_chart(POINTS, title="t"))
    assert "style=" not in svg and "<script" not in svg and "<b " not in svg
    assert "&lt;script&gt;" in svg


def test_empty_and_all_zero_charts_draw():
    assert "<svg " in str(bar_chart([], title="Nothing yet"))
    svg = str(line_chart([Point("a", D(0)), Point("b", D(0))], title="Zero"))
    assert svg.count("<circle ") == 2


def test_labels_thin_out_and_the_last_one_stays():
    points = [Point(f"Day {i}", D(i), short=f"d{i}") for i in range(30)]
    svg = str(bar_chart(points, title="Thirty days"))
    shown = re.findall(r'fill="#555555">(d\d+)</text>', svg)
    assert len(shown) <= 6 and shown[-1] == "d29"
