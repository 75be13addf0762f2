"""Notices to payers by e-mail, over SMTP or PEC: each order's notice PDF mailed in the payer's language.

A send request (`ledger.open_request`) queues one message per selected order in
`notice_messages`; `sender.run_request` mails them through `smtp.SmtpTransport`, one at a
time at `[smtp] rate_per_second`, each committed as `sending` before its DATA so that no
crash can mail an order twice (the rule is in ledger.py).  `cli.py` holds
`counterpay hub notices send|status`; hub/web/routes_mail.py the back office's view.
"""
