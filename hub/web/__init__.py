"""The hub's web console: server-rendered pages for back-office staff, at / beside the API."""
