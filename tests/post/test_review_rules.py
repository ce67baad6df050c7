"""R30 pre-promotion review as a pure rule: every line, every status, the verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes.config import Review as Thresholds
from sparkcodes.post.rules import (
    OrganicNumbers,
    Tones,
    age_line,
    completion_line,
    review,
    sentiment_line,
    tone_of,
    tones,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
T = Thresholds()  # 48 h, 60 % of at least 100 views, 75 % of at least 10 toned comments


@pytest.mark.parametrize(("age", "status", "hours"), [
    (timedelta(0), "failed", 0.0),
    (timedelta(hours=47, minutes=54), "failed", 47.9),
    (timedelta(hours=48), "passed", 48.0),
    (timedelta(days=10), "passed", 240.0),
    (timedelta(hours=-1), "failed", 0.0),  # a clock ahead of ours never counts as age
])
def test_age(age: timedelta, status: str, hours: float) -> None:
    line = age_line(NOW - age, NOW, T)
    assert (line.name, line.status) == ("organic_age", status)
    assert line.numbers == {"age_hours": hours, "min_age_hours": 48}
    assert f"{hours:g} h" in line.sentence


def test_age_sentence_says_how_long_to_wait() -> None:
    line = age_line(NOW - timedelta(hours=30), NOW, T)
    assert line.sentence == "Live for 30 h only; wait 18 h more to see 48 h of organic life."


@pytest.mark.parametrize(("views", "watched", "status", "percent"), [
    (0, 0, "not_enough_data", None),
    (99, 99, "not_enough_data", 100.0),
    (100, 60, "passed", 60.0),
    (100, 59, "failed", 59.0),
    (1000, 599, "failed", 59.9),
    (1000, 1000, "passed", 100.0),
    (100, 250, "passed", 100.0),  # more 15 s views than views (out-of-order events): capped
])
def test_completion(views: int, watched: int, status: str, percent: float | None) -> None:
    line = completion_line(views, watched, T)
    assert (line.name, line.status) == ("completion_15s", status)
    assert line.numbers["completion_15s_percent"] == percent
    assert line.numbers["organic_views"] == views
    assert line.numbers["watched_15s"] == watched
    assert str(views) in line.sentence


def test_completion_sentences() -> None:
    assert completion_line(100, 59, T).sentence == (
        "Only 59 % of 100 organic views reached 15 s; 60 % is asked for.")
    assert completion_line(40, 30, T).sentence == (
        "40 organic views so far; the rate at 15 s is judged from 100 views.")


def _scores(pos: int, neg: int, neutral: int = 0) -> Tones:
    return tones([0.6] * pos + [-0.4] * neg + [0.0] * neutral, T)


@pytest.mark.parametrize(("pos", "neg", "neutral", "status", "percent"), [
    (0, 0, 0, "not_enough_data", None),
    (0, 0, 50, "not_enough_data", None),  # neutral comments have no tone
    (9, 0, 5, "not_enough_data", 100.0),
    (10, 0, 0, "passed", 100.0),
    (15, 5, 0, "passed", 75.0),
    (14, 5, 30, "failed", 73.7),
    (5, 5, 0, "failed", 50.0),
    (0, 10, 0, "failed", 0.0),
])
def test_sentiment(pos: int, neg: int, neutral: int, status: str,
                   percent: float | None) -> None:
    line = sentiment_line(_scores(pos, neg, neutral), T)
    assert (line.name, line.status) == ("comment_sentiment", status)
    assert line.numbers["positive"] == pos
    assert line.numbers["negative"] == neg
    assert line.numbers["neutral"] == neutral
    assert line.numbers["comments_scored"] == pos + neg + neutral
    assert line.numbers["positive_percent"] == percent


@pytest.mark.parametrize(("score", "tone"), [
    (0.05, "positive"), (0.049, "neutral"), (-0.049, "neutral"), (-0.05, "negative"),
])
def test_vader_cut_offs(score: float, tone: str) -> None:
    assert tone_of(score, T) == tone
    line = sentiment_line(tones([score], T), T)
    assert {"positive": line.numbers["positive"], "negative": line.numbers["negative"],
            "neutral": line.numbers["neutral"]}[tone] == 1


def test_overlapping_cut_offs_call_a_score_positive_first() -> None:
    overlapping = Thresholds(positive_compound=-0.1, negative_compound=0.1)
    assert [tone_of(s, overlapping) for s in (-0.5, 0.0, 0.5)] == [
        "negative", "positive", "positive"]
    assert tones([-0.5, 0.0, 0.5], overlapping) == Tones(positive=2, negative=1, neutral=0)


def test_sentiment_sentences() -> None:
    assert sentiment_line(_scores(5, 5), T).sentence == (
        "Only 5 of 10 comments with a tone are positive (50 %); mixed comments are a reason "
        "not to promote.")
    assert sentiment_line(_scores(9, 1), T).sentence == (
        "9 of 10 comments with a tone are positive (90 %, at least 75 % asked for).")


OLD = NOW - timedelta(hours=72)
YOUNG = NOW - timedelta(hours=10)


@pytest.mark.parametrize(("published", "views", "watched", "scores", "verdict"), [
    (OLD, 1000, 700, _scores(20, 2), "ready"),
    (YOUNG, 1000, 700, _scores(20, 2), "not_ready"),
    (OLD, 1000, 500, _scores(20, 2), "not_ready"),
    (OLD, 1000, 700, _scores(10, 10), "not_ready"),
    (OLD, 10, 7, _scores(20, 2), "not_enough_data"),
    (OLD, 1000, 700, _scores(2, 0), "not_enough_data"),
    (YOUNG, 10, 7, Tones(), "not_ready"),  # a failed line outweighs missing data
    (OLD, 10, 5, _scores(1, 1), "not_enough_data"),
])
def test_verdict(published: datetime, views: int, watched: int, scores: Tones,
                 verdict: str) -> None:
    result = review(OrganicNumbers(published, views, watched, scores), now=NOW, thresholds=T)
    assert result.verdict == verdict
    assert [line.name for line in result.lines] == [
        "organic_age", "completion_15s", "comment_sentiment"]


def test_thresholds_are_settings() -> None:
    strict = Thresholds(min_age_hours=72, min_completion_15s_percent=80, min_organic_views=10,
                        min_positive_percent=90, min_toned_comments=2)
    result = review(OrganicNumbers(NOW - timedelta(hours=60), 10, 8, _scores(9, 1)), now=NOW,
                    thresholds=strict)
    assert [line.status for line in result.lines] == ["failed", "passed", "passed"]
