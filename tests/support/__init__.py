"""Helpers shared by the test suites, each written once.

- `clock.Clock`: a clock the test sets and moves, for code that takes a `clock` callable.
- `db`: a fresh migrated database (the `db` fixture every suite gets from tests/conftest.py).
- `waiting`: `wait_until` a condition, `settle` until the in-process bot is idle, `quiet` until
  it is idle and the sandbox has heard nothing for a while (to show that something did NOT
  happen without a blind sleep).
- `officers.register_officer`: an officer of some communes who has opened the bot.
- `catalog.vi`: the current Vietnamese of an English msgid, so a test follows wording fixes.
"""
