"""Widgets grouped by feature: payment/ (tender, progress, receipt, verdict), scan/, status_bar."""
