"""Finance file parsers: bytes of one imported file in, one `Flow` or `Statement` out.

One module per format, all with the same promise: the whole file is read or it is refused
with `ImportRefused(where, reason)`; nothing returns half a file, nothing else is raised.

- `fdr.parse_flow`: pagoPA reporting flow, FlussoRiversamento 1.0.x XML
- `camt.parse_statement`: ISO 20022 camt.053 statement / camt.054 notification, any version
- `mt940.parse_mt940`: SWIFT MT940, Polish banks' `:86:` subfields too
- `csv_statement.parse_csv`: CSV whose columns the user names or numbers
- `detect.detect_format` / `detect.parse_file`: which of those a file is, and reading it
"""
