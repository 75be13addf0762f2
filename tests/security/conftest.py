"""A live hub (uvicorn on loopback, a fresh SQLite file) for every attack."""

from __future__ import annotations

import pytest

from protocol.keys import KeyDirectory, SigningKey
from hub.config import Settings
from hub.context import HubContext
from hub.store.db import Database
from tests.security.live_hub import LiveHub

CREDITOR_FISCAL_CODE = "00311260095"


@pytest.fixture
def hub_context(tmp_path):
    database = Database.open(f"sqlite:///{tmp_path / 'hub.db'}")
    settings = Settings(database_url=database.url, data_dir=tmp_path, creditor_fiscal_code=CREDITOR_FISCAL_CODE)
    yield HubContext(settings=settings, db=database, order_key=SigningKey.generate(),
                     event_key=SigningKey.generate(), static_directory=KeyDirectory(), directory_ttl_s=0.0)
    database.dispose()


@pytest.fixture
def live_hub(hub_context):
    hub = LiveHub(hub_context).start()
    yield hub
    hub.stop()
