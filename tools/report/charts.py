"""Charts as inline SVG: no script, no network, crisp at any zoom, a few hundred bytes each."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup, escape

_BAR_HEIGHT = 22
_LABEL_WIDTH = 210
_BAR_WIDTH = 300


def bar_chart(counts: Mapping[str, int], *, title: str, colour: str = "#c0392b") -> Markup:
    """A horizontal bar chart of counts, largest first, each bar labelled with its count.

    Args:
        counts: label -> count (labels are escaped).
        title: the chart's accessible title.
        colour: bar fill.
    """
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = max((v for _, v in items), default=0) or 1
    height = _BAR_HEIGHT * max(len(items), 1) + 8
    width = _LABEL_WIDTH + _BAR_WIDTH + 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for row, (label, count) in enumerate(items):
        y = 4 + row * _BAR_HEIGHT
        bar = max(2.0, _BAR_WIDTH * count / top)
        parts.append(
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{_LABEL_WIDTH}" y="{y + 3}" width="{bar:.1f}" height="{_BAR_HEIGHT - 6}" '
            f'fill="{colour}"/>'
            f'<text x="{_LABEL_WIDTH + bar + 6:.1f}" y="{y + 15}">{count}</text>'
        )
    if not items:
        parts.append(f'<text x="8" y="18">{escape("none")}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label is escaped above
