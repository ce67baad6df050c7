"""Calendar feeds: a secret iCalendar URL per business or creator, one event per code end (R28)."""
