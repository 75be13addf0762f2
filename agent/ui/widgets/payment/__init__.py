"""Widgets of the payment itself, shared by clerk, cashier and kiosk: tender, progress, receipt, verdict."""
