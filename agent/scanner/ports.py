"""The serial ports a technician can pick a terminal or scanner from.

Lists what `serial.tools.list_ports` finds (USB adapters with their vendor and
product) and, because simulators create pseudo-terminals that list_ports never
shows, the /dev/pts entries with a hint about where they come from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from serial.tools import list_ports


@dataclass
class PortInfo:
    device: str
    description: str
    hwid: str
    kind: str   # "usb", "serial" or "pty"


def list_serial_ports(pts_dir: str = "/dev/pts") -> list[PortInfo]:
    found = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        kind = "usb" if port.vid is not None else "serial"
        found.append(PortInfo(port.device, port.description or "", port.hwid or "", kind))
    try:
        names = sorted((n for n in os.listdir(pts_dir) if n.isdigit()), key=int)
    except OSError:
        names = []
    for name in names:
        found.append(PortInfo(os.path.join(pts_dir, name),
                              "pseudo-terminal (a simulator's --pty, or a terminal window)", "", "pty"))
    return found
