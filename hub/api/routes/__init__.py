"""One module per resource; each defines `router`, listed in hub/api/routers.py."""
