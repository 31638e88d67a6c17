"""Bar charts drawn as inline SVG, for the organization report and the practice's results.

They need no JavaScript and no image file: every bar carries its label and its figure as
text, and the chart as a whole is labelled for a screen reader by its `summary`.
"""

from dataclasses import dataclass

WIDTH = 480
LABEL_WIDTH = 150  # room for the label at the left of each bar
BAR_ROOM = 250  # the longest bar; its figure is written after it
ROW = 28
BAR = 18


@dataclass(frozen=True)
class ChartBar:
    label: str
    figure: str  # the value as read, such as "4" or "4.3"
    y: int
    length: int
    figure_x: int
    text_y: int


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[ChartBar]
    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR

    @property
    def height(self) -> int:
        return ROW * len(self.bars) + 4

    @property
    def summary(self) -> str:
        return f"{self.title}: " + "; ".join(f"{bar.label}: {bar.figure}" for bar in self.bars)


def bar_chart(title: str, rows: list[tuple[str, float, str]], *, top: float) -> BarChart:
    """Rows of (label, value, figure as written), each bar as long as value / top allows."""
    bars = []
    for position, (label, value, figure) in enumerate(rows):
        length = round(BAR_ROOM * max(value, 0) / top) if top > 0 else 0
        y = ROW * position + 4
        bars.append(
            ChartBar(
                label=label,
                figure=figure,
                y=y,
                length=length,
                figure_x=LABEL_WIDTH + length + 6,
                text_y=y + BAR - 4,
            )
        )
    return BarChart(title=title, bars=bars)
