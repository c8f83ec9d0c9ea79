"""The one table ``python -m bench`` prints: section headings, then aligned rows."""

from __future__ import annotations

from dataclasses import dataclass, field

COLUMNS = ("measure", "value", "per-round spread", "target", "result")


@dataclass
class Table:
    """Rows of five cells, with section headings between them."""

    rows: list[tuple[str, ...] | str] = field(default_factory=list)

    def section(self, title: str, others: float | None = None) -> None:
        """Start a section (a heading line across the table), noting other processes' load."""
        if others is not None:
            title += f" [others busy: {others:.1f} CPU]"
        self.rows.append(title)

    def row(
        self, measure: str, value: str, spread: str = "", target: str = "", result: str = ""
    ) -> None:
        """Add one row."""
        self.rows.append((measure, value, spread, target, result))

    def render(self) -> str:
        """The table as text."""
        cells = [r for r in self.rows if isinstance(r, tuple)]
        widths = [
            max(len(COLUMNS[i]), *(len(r[i]) for r in cells)) if cells else len(COLUMNS[i])
            for i in range(len(COLUMNS))
        ]
        total = sum(widths) + 2 * (len(widths) - 1)

        def line(values: tuple[str, ...]) -> str:
            return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

        out = [line(COLUMNS), "=" * total]
        for r in self.rows:
            if isinstance(r, str):
                out.append("")
                out.append(f"-- {r} " + "-" * max(0, total - len(r) - 4))
            else:
                out.append(line(r))
        return "\n".join(out)


def ms(value: float) -> str:
    """Milliseconds with a sensible number of digits."""
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.3f} ms" if value < 1 else f"{value:.2f} ms"


def rate(value: float) -> str:
    """Calls per second, with thousands separators."""
    return f"{value:,.0f}/s"


def ratio(value: float) -> str:
    """A ratio such as ``1.07x``."""
    return f"{value:.2f}x"


def span(low: str, high: str) -> str:
    """``low – high``."""
    return f"{low} – {high}"
