"""CSV cells that a spreadsheet opens as text, never as a formula (CSV injection).

Captions, names and notes come from creators and brands; a cell starting with ``=``, ``+``, ``-``
or ``@`` (or a tab or carriage return, which some apps strip first) would run as a formula when
the file is opened, so such a cell gets a leading apostrophe.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as CSV text: "" for None, ISO 8601 for dates, an apostrophe before a formula."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
