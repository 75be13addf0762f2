"""Commands that belong to no single part: QR tools, keys, code verification, the demo."""
