import pytest


@pytest.fixture
def admin_user(sandbox):
    """A province admin (a module gives TIPBOT_ADMIN_IDS through its `bot_settings`)."""
    return sandbox.add_user("Quản trị", language_code="vi")
