"""Hooks that join the meter to the ledger inside training and inference processes."""
