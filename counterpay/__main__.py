"""Allow `python -m counterpay`."""

from counterpay.cli import main

main()
