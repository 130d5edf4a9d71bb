"""Every kind of outbox row (storage.outbox.OutboxKind) has its deliverer, and no deliverer waits
for a kind nothing queues."""

from types import SimpleNamespace

import handlers
from storage.outbox import OutboxKind


def test_every_outbox_kind_has_one_deliverer():
    application = SimpleNamespace(bot=None)  # the deliverers only keep it
    assert set(handlers.deliverers(application, runtime=None)) == set(OutboxKind)
