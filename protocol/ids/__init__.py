"""Payment identifiers, one module each, in python-stdnum's face.

Every module offers `compact()`, `validate()` (returns the compact value or raises a
`stdnum.exceptions.ValidationError` subclass saying what is wrong), `is_valid()`,
`format()`, and `generate()` where the standard lets anyone make a valid number.
The check-digit arithmetic comes from python-stdnum; these modules add only what it
does not know (pagoPA notice numbers) and the generation side.
"""
