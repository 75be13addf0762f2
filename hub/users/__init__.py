"""Named hub users: roles, office scopes, passwords, console sessions and login throttling."""
