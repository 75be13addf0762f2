"""`counterpay hub doctor`: checks a site and gives a verdict (ok / warn / fail) per check."""
