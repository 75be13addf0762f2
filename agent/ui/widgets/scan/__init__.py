"""Scan input: typed or keyboard-wedge codes, with the wedge analysis shown."""
