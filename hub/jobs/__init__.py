"""The hub's scheduled jobs (`hub serve --role jobs`): what runs by the clock, not by a request."""
