"""Payment orders: what is owed, with an RF reference or pagoPA notice number, a
signed QR, a printable notice, created one by one or in bulk from CSV."""
