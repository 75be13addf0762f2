"""The citizens' self-service: look a payment position up by its notice number, IUV or RF and the payer's id."""
