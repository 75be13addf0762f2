"""Scanner inputs: serial (USB-CDC) scanners, keyboard-wedge analysis, and image/camera frames.

    framing.ScanFramer        bytes in, scanned codes (or readable errors) out; no I/O
    serial_reader.SerialScanner   a pyserial port read on a thread, codes to a callback
    wedge.analyse_wedge       did a keyboard-mode scanner mistype the code? what to do
    image.decode_image_file   codes in a photo or camera frame (zbar binary mode)
    ports.list_serial_ports   what a technician sees plugged in
"""
