"""Bar charts drawn as inline SVG on the server: no chart library, no CDN, readable without
JavaScript, and the numbers stay in the page (and in the downloadable table)."""

from dataclasses import dataclass


@dataclass
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float


def vertical_bars(items: list[tuple[str, float]], *, width: int = 640, height: int = 200) -> dict:
    top = max((v for _, v in items), default=0) or 1
    slot = width / max(len(items), 1)
    bars = []
    axis, headroom = 20, 14  # room for the month labels below and the top bar's value above
    for index, (label, value) in enumerate(items):
        h = (height - axis - headroom) * value / top
        bars.append(Bar(label, value, index * slot + slot * 0.15, height - axis - h, slot * 0.7, h))
    return {"width": width, "height": height, "bars": bars, "max": top}


def horizontal_bars(items: list[tuple[str, float]], *, width: int = 640, row: int = 22) -> dict:
    top = max((v for _, v in items), default=0) or 1
    label_width = 180
    bars = [
        Bar(label, value, label_width, index * row, (width - label_width - 70) * value / top, row - 6)
        for index, (label, value) in enumerate(items)
    ]
    return {"width": width, "height": max(len(items), 1) * row, "bars": bars, "label_width": label_width}
