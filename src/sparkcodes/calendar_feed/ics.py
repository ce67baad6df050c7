"""Render a calendar with the icalendar library (pure: takes the events and ``now``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar
from icalendar import Event as VEvent
from icalendar.prop import vDuration, vInline, vText

from sparkcodes import __version__
from sparkcodes.calendar_feed.rules import Event

REFRESH = timedelta(hours=1)


def render(*, name: str, description: str, events: list[Event], now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", f"-//sparkcodes//Spark code ends {__version__}//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-caldesc", description)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH))
    for event in events:
        ev = VEvent()
        ev.add("uid", event.uid)
        ev.add("dtstamp", now)
        ev.add("dtstart", event.starts_at)
        ev.add("dtend", event.ends_at)
        ev.add("summary", event.summary)
        ev.add("description", event.description)
        ev.add("url", event.url)
        ev.add("sequence", event.sequence)
        ev.add("last-modified", event.last_modified)
        ev.add("transp", "TRANSPARENT")  # a deadline, not a meeting: it does not block time
        for hours, text in event.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", vText(text))
            alarm["TRIGGER"] = _before_end(hours)
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()


def _before_end(hours: int) -> vInline:
    """TRIGGER;RELATED=END:-PT72H: exact hours before the code ends (icalendar would write the
    nominal -P3D, which a client may shift across a daylight-saving change)."""
    trigger = vInline(f"-PT{hours}H")
    trigger.params["RELATED"] = "END"
    return trigger
