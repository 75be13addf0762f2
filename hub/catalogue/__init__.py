"""The fee catalogue: versioned price lists agents cache to build payments offline."""
