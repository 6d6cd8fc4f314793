"""Horizontal bar charts for the web pages and the PDF, without script or external resource
(a strict CSP and the offline PDF renderer both accept them).

Each bar is a small inline SVG; the labels and values are HTML text beside it. WeasyPrint
draws SVG text one character at a time, without bidi reordering or Arabic joining
(Kozea/WeasyPrint#2909), so an Arabic label inside the SVG would come out reversed, its
letters unjoined; as HTML text it is shaped and ordered like the rest of the page, in the
PDF and in browsers alike. Each row is a flex box, which follows `dir` in browsers and in
WeasyPrint (its grid layout does not): in Arabic the labels are on the right and the bars
grow from the right. The table under every chart gives the same figures, so
the chart is one image to assistive technology.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext as _

from reporting.analysis.figures import Share

#: Brand blue on a light track: 6.9:1 against the track, 8.6:1 against white (WCAG 1.4.11).
BAR_COLOUR = "#0b4f8a"
TRACK_COLOUR = "#e3e8ee"
#: Each bar is drawn on a 100 × 10 canvas stretched to the width of its column.
WIDTH, HEIGHT = 100, 10


def text_direction(text: str) -> str:
    """ "rtl" when the first strong character is right-to-left, else "ltr" (question
    numbers such as 1.1(a) then stay in order inside Arabic text)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def value_text(share: Share, *, percent: bool) -> str:
    """The figure shown beside a bar, formatted for the active language."""
    if not percent:
        return number_format(share.count)
    if share.percent is None:
        return "—"
    return _("%(percent)s%%") % {"percent": number_format(share.percent, decimal_pos=1)}


def _bar_length(share: Share, *, percent: bool, largest: int) -> float:
    if percent:
        return share.percent or 0.0
    return 100 * share.count / largest if largest else 0.0


def _bar(share: Share, value: str, length: float, rtl: bool) -> SafeString:
    start = WIDTH - length if rtl else 0
    return format_html(
        '<svg class="bar-chart-bar" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        'preserveAspectRatio="none" width="100%" height="12" aria-hidden="true" '
        'focusable="false"><title>{title}</title>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="{track}"/>'
        '<rect x="{x}" y="0" width="{length}" height="{h}" fill="{colour}"/></svg>',
        w=WIDTH,
        h=HEIGHT,
        title=_("%(label)s: %(value)s") % {"label": share.label, "value": value},
        track=TRACK_COLOUR,
        x=f"{start:.2f}",
        length=f"{length:.2f}",
        colour=BAR_COLOUR,
    )


def _row(share: Share, *, percent: bool, largest: int, rtl: bool) -> SafeString:
    value = value_text(share, percent=percent)
    return format_html(
        '<div class="bar-chart-row"><span class="bar-chart-label"><bdi dir="{dir}">{label}'
        '</bdi></span>{bar}<span class="bar-chart-value">{value}</span></div>',
        dir=text_direction(share.label),
        label=share.label,
        bar=_bar(share, value, _bar_length(share, percent=percent, largest=largest), rtl),
        value=value,
    )


def bar_chart(shares: Sequence[Share], *, title: str, percent: bool = True) -> SafeString:
    """A horizontal bar chart of `shares`: their percentages (0–100 %), or their counts
    against the largest one. Give short labels (question numbers): the table gives the
    full text."""
    if not shares:
        return mark_safe("")
    rtl = get_language_bidi()
    largest = max((s.count for s in shares), default=0)
    rows = format_html_join(
        "\n",
        "{}",
        ((_row(s, percent=percent, largest=largest, rtl=rtl),) for s in shares),
    )
    return format_html(
        '<figure class="bar-chart">\n<figcaption class="bar-chart-title">{title}</figcaption>\n'
        '<div class="bar-chart-rows" role="img" aria-label="{description}">\n{rows}\n</div>\n'
        "</figure>",
        title=title,
        description=_("Bar chart: the table below gives the same figures."),
        rows=rows,
    )
