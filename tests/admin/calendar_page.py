"""Reading the calendar view's HTML in tests: its blocks (events and free slots) per day."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Block:
    kind: str  # "event" or "slot"
    day: str
    href: str
    top: int
    lane: int
    lanes: int
    text: str = ""


@dataclass
class CalendarPage(HTMLParser):
    """The blocks of each day, and each day's header (with its offsets)."""

    blocks: list[Block] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)
    _day: str = ""
    _in_head: bool = False
    _in_block: bool = False

    def __post_init__(self) -> None:
        super().__init__()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        classes = found.get("class", "").split()
        if tag == "section" and "daycol" in classes:
            self._day = found["id"].removeprefix("day-")
        elif tag == "h3" and "dayhead" in classes:
            self._in_head = True
            self.heads[self._day] = ""
        elif tag == "a" and "block" in classes:
            kind = "event" if "event" in classes else "slot"
            top, lane, lanes = (int(found[f"data-{n}"]) for n in ("top", "lane", "lanes"))
            self.blocks.append(Block(kind, self._day, found["href"], top, lane, lanes))
            self._in_block = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "h3":
            self._in_head = False
        elif tag == "a":
            self._in_block = False

    def handle_data(self, data: str) -> None:
        if self._in_head:
            self.heads[self._day] += data
        if self._in_block:
            self.blocks[-1].text += data

    def of(self, kind: str, day: str | None = None) -> list[Block]:
        return [b for b in self.blocks if b.kind == kind and (day is None or b.day == day)]


def read_calendar_page(html: str) -> CalendarPage:
    page = CalendarPage()
    page.feed(html)
    for block in page.blocks:
        block.text = " ".join(block.text.split())
    for day, head in page.heads.items():
        page.heads[day] = " ".join(head.split())
    return page
