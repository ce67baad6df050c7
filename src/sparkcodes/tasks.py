"""Imports every module that registers job handlers and schedules, so a worker knows them all."""

from sparkcodes.reminder import tasks as _reminder  # noqa: F401
from sparkcodes.worker import service as _worker  # noqa: F401
