"""The tips the reliability suite's residents send, and the staff who receive them."""

from __future__ import annotations

from tests.reliability.support import TipPlan

XUAN_HUONG = 24781  # Phường Xuân Hương - Đà Lạt
LANG_BIANG = 24846  # Phường Lang Biang - Đà Lạt
LAM_VIEN = 24778  # Phường Lâm Viên - Đà Lạt
CAM_LY = 24787  # Phường Cam Ly - Đà Lạt
COMMUNES = {
    XUAN_HUONG: "xuan huong",
    LANG_BIANG: "lang biang",
    LAM_VIEN: "lam vien",
    CAM_LY: "cam ly",
}


def plan(number: int, marker: str) -> TipPlan:
    """The `number`-th kind of tip; `marker` makes its description unique, so the tip can be
    found in the database without anything that links it to the resident."""
    communes = list(COMMUNES)
    commune = communes[number % len(communes)]
    description = f"Sự việc {marker}: có người lạ <b>&</b> xe máy biển 49"
    match number % 4:
        case 0:
            return TipPlan(
                "crime", "drugs", "now", commune, COMMUNES[commune], description, photo=True,
                urgent=True,
            )  # fmt: skip
        case 1:
            return TipPlan("forest", "logging", None, commune, COMMUNES[commune], description)
        case 2:
            return TipPlan(
                "fraud", "tasks", None, None, "", description, phones="0912 345 678"
            )  # fmt: skip
        case _:
            return TipPlan("other", None, None, commune, COMMUNES[commune], description)
