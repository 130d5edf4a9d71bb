import aiohttp
import pytest

from bot.webdoor import WEB_DOOR
from tests.webdoor.visitor import Visitor


@pytest.fixture
def admin_user(sandbox):
    return sandbox.add_user("Quản trị", language_code="vi")


@pytest.fixture
def bot_settings(admin_user):
    return {"TIPBOT_WEB_LISTEN": "127.0.0.1:0", "TIPBOT_ADMIN_IDS": str(admin_user.id)}


@pytest.fixture
def door_url(bot) -> str:
    return f"http://127.0.0.1:{bot.application.bot_data[WEB_DOOR].port}"


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def visitor(session, door_url):
    def make(language: str = "vi") -> Visitor:
        return Visitor(session, door_url, language)

    return make
