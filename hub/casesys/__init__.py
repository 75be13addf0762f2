"""Case systems: the registry (who gets which confirmations) and the case-lookup client."""
