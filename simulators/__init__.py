"""Simulators a technician plugs in instead of real hardware or real neighbours.

Card terminals (ZVT, Concert), a serial QR scanner, a case system and a fleet of
agents.  They import `protocol` only; a simulator that needs a running agent or
hub starts it as a process.
"""
