"""Technician mode against the real AgentService: diagnostics, ports, terminal, scanner test, log."""

from __future__ import annotations

from textual.widgets import DataTable

from agent.scanner.serial_reader import SerialScanner
from agent.ui.app import CounterpayApp
from tests.agent.scanner_sim import pull_trigger, sim_scanner, wait_connected
from tests.agent.ui_pilot import type_text, wait_for_screen, wait_for_text
from tests.agent.ui_real import PAGOPA_OK, open_service, zvt_terminal


async def test_technician_sees_broker_outbox_ports_terminal_and_a_serial_scan(tmp_path, mosquitto):
    with zvt_terminal(tmp_path) as sim:
        service = open_service(tmp_path, mosquitto.url, sim.device, mode="technician")
        try:
            with sim_scanner("--payload", PAGOPA_OK, "--trigger") as (scanner_process, scanner_device):
                reader = SerialScanner(scanner_device)
                app = CounterpayApp(service, "technician", scanner=reader)
                async with app.run_test(size=(80, 24)) as pilot:
                    await wait_connected(reader)
                    pull_trigger(scanner_process)
                    # The serial scan arrives by itself and switches to the scanner tab.
                    await wait_for_text(pilot, "From serial: 46 characters", timeout_s=15)
                    text = await wait_for_text(pilot, " VALID ")
                    assert PAGOPA_OK in text
                    await pilot.press("f1")
                    text = await wait_for_text(pilot, "Broker online · outbox 0 of 10000")
                    assert mosquitto.url in text and "clock_skew_s" in text
                    await pilot.press("f2")
                    # The simulators' ptys are listed with a hint where they come from (read from the
                    # table: other processes' ptys may push them below the screen's last row).
                    def listed() -> dict[str, str]:
                        table = app.screen.query_one("#port-table", DataTable)
                        return {str(row[0]): " ".join(map(str, row[1:])) for row in
                                (table.get_row_at(n) for n in range(table.row_count))}
                    await wait_for_screen(pilot, lambda: sim.device in listed() and scanner_device in listed(),
                                          15, f"{sim.device} and {scanner_device} in the ports table")
                    ports = listed()
                    assert "pseudo-terminal" in ports[sim.device] and "pseudo-terminal" in ports[scanner_device]
                    await pilot.press("f3")
                    text = await wait_for_text(pilot, "Terminal: ready (zvt)")
                    assert sim.device in text
                    await pilot.click("#terminal-check")     # a real status enquiry to the simulator
                    await wait_for_text(pilot, "Terminal answered", timeout_s=15)
                    await pilot.press("f4")
                    await type_text(pilot, "BCD")                 # a wedge scan cut at the first line break
                    await pilot.press("enter")
                    await wait_for_text(pilot, "only the first line arrived")
                    mosquitto.stop()
                    await wait_for_text(pilot, "● offline", timeout_s=15)
                    await pilot.press("f9", "f1")
                    await wait_for_text(pilot, "Broker offline")
        finally:
            service.close()


async def test_technician_decodes_a_photo_of_a_notice_with_utf8_intact(tmp_path, mosquitto):
    from protocol.qr import image as qr_image, zbp

    code = zbp.make("61109010140000071219812874", "Urząd Miasta Gdańsk", "Opłata skarbowa", 1750, nip="5840001234")
    picture = tmp_path / "notice.png"
    picture.write_bytes(qr_image.make_png(code))
    service = open_service(tmp_path, mosquitto.url, None, mode="technician")
    try:
        app = CounterpayApp(service, "technician")
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_text(pilot, "Broker online")
            await pilot.press("f4")
            app.screen.focused.insert_text_at_cursor(str(picture))   # a path, not a scan: no need to type it
            await pilot.press("enter")
            text = await wait_for_text(pilot, "From picture:")
            assert "Gdańsk" in text and "zbp" in text
            app.screen.focused.insert_text_at_cursor(str(tmp_path / "missing.png"))
            await pilot.press("enter")
            await wait_for_text(pilot, "cannot read the picture")
    finally:
        service.close()
