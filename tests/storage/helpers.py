"""Shared constants for the storage tests."""

T0 = 1_750_000_000  # a fixed "now" (June 2025): tests move the clock explicitly
COMMUNES = (24781, 24820)  # Phường Xuân Hương - Đà Lạt, Phường 2 Bảo Lộc
OFFICER, OTHER_OFFICER, ADMIN = 1001, 1002, 9001
