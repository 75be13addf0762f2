"""Simulated card terminals (ZVT, Concert) for tests and for technicians on a real serial port."""
