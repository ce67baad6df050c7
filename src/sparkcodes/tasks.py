"""Imports every module that registers job handlers and schedules, so a worker knows them all."""

from sparkcodes.audit import tasks as _audit  # noqa: F401
from sparkcodes.code_request import tasks as _code_request  # noqa: F401
from sparkcodes.connector import tasks as _connector  # noqa: F401
from sparkcodes.fallback import tasks as _fallback  # noqa: F401
from sparkcodes.mail import tasks as _mail  # noqa: F401
from sparkcodes.reminder import tasks as _reminder  # noqa: F401
from sparkcodes.renewal import tasks as _renewal  # noqa: F401
from sparkcodes.throttle import tasks as _throttle  # noqa: F401
from sparkcodes.webhook import tasks as _webhook  # noqa: F401
from sparkcodes.worker import service as _worker  # noqa: F401
