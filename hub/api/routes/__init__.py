"""One module per resource; each defines `router` and is mounted by create_app."""
