"""A comment's tone as VADER's compound score in [-1, 1], computed offline (the package carries
its lexicon). One analyzer per process: loading the lexicon is the slow part."""

from __future__ import annotations

from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    """VADER's compound score of ``text``, rounded to 4 places: ≥ 0.05 reads positive, ≤ -0.05
    negative, in between neutral."""
    return round(float(_analyzer().polarity_scores(text)["compound"]), 4)
