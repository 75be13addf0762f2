"""A simulated serial QR scanner (`counterpay sim scanner`)."""
