"""The stand-in TikTok fixtures (a second sparkcodes server with its own database) for every
connector suite; they are defined with the step-1 tests in test_connector.py. ``world``: a brand
on the stand-in with one creator's code bound, its advertiser linked here and synced."""

import pytest

from sparkcodes.connector.tasks import DONE
from tests.connector.test_connector import _standin, standin, standin_settings  # noqa: F401
from tests.connector.test_sync import OnTikTok, do_sync, linked


@pytest.fixture
def world(client, standin):  # type: ignore[no-untyped-def]  # noqa: F811
    world = OnTikTok(standin, n=1)
    admin, made = linked(client, standin, world)
    assert do_sync(client, made, world) == DONE
    return world, admin, made
