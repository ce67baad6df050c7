"""The stand-in TikTok fixtures (a second sparkcodes server with its own database) for every
connector suite; they are defined with the step-1 tests in test_connector.py."""

from tests.connector.test_connector import _standin, standin, standin_settings  # noqa: F401
