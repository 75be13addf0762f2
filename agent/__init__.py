"""The counter agent: the program on each counter PC, cash point or kiosk.

Terminal drivers, scanner inputs, the SQLite journal and outbox, sync with the hub
over MQTT, receipts and the Textual UI.  Imports `protocol` only, never `hub`.
"""
