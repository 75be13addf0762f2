"""Finance at the hub: bank accounts, reconciliation of reporting flows and bank statements
against payments and orders, terminal end-of-day checks, and exports to accounting."""
