"""One screen per mode (clerk, cashier, kiosk, technician) and the operator-check dialog."""
