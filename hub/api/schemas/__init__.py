"""The API's request and response models, one module per resource (the schemas in /docs).

Response models list exactly the fields a route returns: they forbid extra fields, so a
field a service adds without a schema fails the route's tests instead of reaching
integrators undocumented.
"""
