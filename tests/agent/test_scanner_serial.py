"""The serial scanner reader on a real pty, fed by `counterpay sim scanner` as a subprocess."""

from __future__ import annotations

import queue
import time

from agent.scanner.image import decode_frame, decode_image_bytes, decode_image_file
from agent.scanner.serial_reader import SerialScanner
from protocol.qr import image as qr_image
from tests.agent.scanner_sim import pull_trigger, sim_scanner, wait_connected_sync

PAGOPA = "PAGOPA|002|001340000013900808|00311260095|5000"


def _collect(scanner: SerialScanner, count: int, timeout_s: float = 8.0, trigger=None, gap_s: float = 0.0) -> list:
    """Start the reader; with `trigger` (a --trigger sim), scan `count` times once the port is open."""
    events: queue.Queue = queue.Queue()
    scanner.start(events.put)
    if trigger is not None:
        wait_connected_sync(scanner, timeout_s)
        for _ in range(count):
            pull_trigger(trigger)
            time.sleep(gap_s)
    got = []
    try:
        while len(got) < count:
            got.append(events.get(timeout=timeout_s))
    finally:
        scanner.stop()
    return got


def test_reader_gets_every_scan_of_the_sim_scanner_on_a_pty():
    with sim_scanner("--payload", PAGOPA, "--trigger") as (sim, device):
        events = _collect(SerialScanner(device, terminator="CR"), 3, trigger=sim)
    assert [e.code for e in events] == [PAGOPA] * 3


def test_utf8_names_and_epc_line_breaks_arrive_intact(tmp_path):
    epc = "BCD\n002\n1\nSCT\n\nUrząd Miasta Gdańsk\nPL61109010140000071219812874\nEUR12.50\n\n\nOpłata"
    path = tmp_path / "epc.txt"
    path.write_bytes(epc.encode())
    with sim_scanner("--file", str(path), "--terminator", "CRLF", "--trigger") as (sim, device):
        events = _collect(SerialScanner(device, terminator="CR"), 1, trigger=sim)
    assert events[0].code == epc


def test_garbage_on_the_port_is_reported_and_the_reader_keeps_reading(tmp_path):
    path = tmp_path / "noise.bin"
    path.write_bytes(b"\xff\xfe\x80\x81")
    with sim_scanner("--file", str(path), "--trigger") as (sim, device):
        events = _collect(SerialScanner(device, terminator="CR"), 2, trigger=sim)
    assert all(not e.ok and "not UTF-8" in e.error for e in events)


def test_a_missing_port_is_reported_not_raised():
    events = _collect(SerialScanner("/dev/does-not-exist-scanner"), 1, timeout_s=3)
    assert "cannot be opened" in events[0].error and "serial (USB-CDC) mode" in events[0].error


def test_codes_in_a_picture_and_in_a_camera_frame_keep_their_utf8(tmp_path):
    payload = "|PL|61109010140000071219812874|001750|Urząd Miasta Gdańsk|Opłata|||"
    png = qr_image.make_png(payload)
    assert [e.code for e in decode_image_bytes(png)] == [payload]
    image = qr_image.open_image(png).convert("L")
    assert [e.code for e in decode_frame(image.tobytes(), *image.size)] == [payload]
    (tmp_path / "notice.png").write_bytes(png)
    assert decode_image_file(tmp_path / "notice.png")[0].code == payload


def test_pictures_without_a_code_and_non_pictures_give_readable_errors(tmp_path):
    from PIL import Image
    import io
    blank = io.BytesIO()
    Image.new("L", (100, 100), 255).save(blank, "PNG")
    assert "no QR code found" in decode_image_bytes(blank.getvalue())[0].error
    assert "not an image" in decode_image_bytes(b"not a png")[0].error
    assert "cannot read" in decode_image_file(tmp_path / "missing.png")[0].error


def test_a_scanner_without_terminator_is_framed_by_its_idle_gap():
    with sim_scanner("--payload", "RF18539007547034", "--terminator", "NONE", "--trigger") as (sim, device):
        # A person needs far more than the 80 ms idle gap between two scans.
        events = _collect(SerialScanner(device, terminator="NONE"), 2, trigger=sim, gap_s=0.3)
    assert [e.code for e in events] == ["RF18539007547034"] * 2
