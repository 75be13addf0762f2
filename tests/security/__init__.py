"""Attacks on the hub, one file per finding, each against real parts (real HTTP here)."""
