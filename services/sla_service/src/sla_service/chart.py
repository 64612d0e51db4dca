"""A hand-written SVG grouped bar chart of met and missed resolution targets per tier."""

from html import escape

from sla_service.reports import ReportRow

WIDTH = 640
HEIGHT = 360
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 56
MARGIN_BOTTOM = 56
MET_COLOUR = "#2e7d32"
MISSED_COLOUR = "#c62828"
UNKNOWN_TIER = "(no tier)"


def _tick_step(maximum: int) -> int:
    # About five gridlines whatever the scale, on round numbers.
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if maximum / step <= 5:
            return step
    return max(1, maximum // 5)


def render_tier_chart(rows: list[ReportRow]) -> str:
    """Return an SVG document with one pair of bars (met, missed) per customer tier.

    `rows` are report rows grouped by tier only; the bars count resolution outcomes.
    """
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    maximum = max([1, *(max(r.resolution.met, r.resolution.missed) for r in rows)])
    step = _tick_step(maximum)
    top = ((maximum + step - 1) // step) * step
    baseline = MARGIN_TOP + plot_height

    def y_of(value: int) -> float:
        return baseline - plot_height * value / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        "<title>Resolution targets met and missed per customer tier</title>",
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">'
        "Resolution SLA per customer tier: met vs missed</text>",
    ]
    for value in range(0, top + 1, step):
        y = y_of(value)
        parts.append(
            f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{WIDTH - MARGIN_RIGHT}" y2="{y:.1f}" '
            'stroke="#ddd"/>'
        )
        parts.append(
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}</text>'
        )

    group_width = plot_width / max(1, len(rows))
    bar_width = min(48.0, group_width * 0.35)
    for index, row in enumerate(rows):
        centre = MARGIN_LEFT + group_width * (index + 0.5)
        bars = ((row.resolution.met, MET_COLOUR, -1), (row.resolution.missed, MISSED_COLOUR, 0))
        for value, colour, offset in bars:
            x = centre + offset * bar_width
            y = y_of(value)
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" '
                f'height="{baseline - y:.1f}" fill="{colour}"/>'
            )
            parts.append(
                f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" '
                f'text-anchor="middle">{value}</text>'
            )
        percent = row.resolution.met_percent
        label = escape(row.tier or UNKNOWN_TIER)
        parts.append(
            f'<text x="{centre:.1f}" y="{baseline + 18}" text-anchor="middle">{label}</text>'
        )
        if percent is not None:
            parts.append(
                f'<text x="{centre:.1f}" y="{baseline + 34}" text-anchor="middle" '
                f'fill="#555">{percent:g}% met</text>'
            )

    legend_x = WIDTH - MARGIN_RIGHT - 120
    legend_y = 44
    parts.append(
        f'<rect x="{legend_x}" y="{legend_y - 10}" width="10" height="10" fill="{MET_COLOUR}"/>'
    )
    parts.append(f'<text x="{legend_x + 14}" y="{legend_y}">met</text>')
    parts.append(
        f'<rect x="{legend_x + 50}" y="{legend_y - 10}" width="10" height="10" '
        f'fill="{MISSED_COLOUR}"/>'
    )
    parts.append(f'<text x="{legend_x + 64}" y="{legend_y}">missed</text>')
    parts.append("</svg>")
    return "\n".join(parts)
