"""The statuses of a statement line, a flow and a flow payment, and the reasons for them.

A status says where an item stands; its reason, a stable code, says why.  Pages show the
reason through the catalogues (`reconcile.reason.<code>`); the CLI and the API give the code.

    matched   its other half was found and agrees
    waiting   its other half has not arrived yet (flows come days after the payment,
              statements later still); a later run looks again
    anomaly   a person must look: the reason says what is wrong
    ignored   not ours, superseded, or resolved by hand

Only `waiting` and `anomaly` items without a resolution are looked at again by a run:
a failure is never kept as an answer (GovPay's users report one cached for good).
"""

from __future__ import annotations

MATCHED, WAITING, ANOMALY, IGNORED = "matched", "waiting", "anomaly", "ignored"
STATUSES = (MATCHED, WAITING, ANOMALY, IGNORED)
OPEN = (WAITING, ANOMALY)
"""The statuses a run looks at again."""

# Reasons: matched
PAYS_FLOW = "pays_flow"                    # line: its amount is the flow's total
PAID_BY_LINE = "paid_by_line"              # flow: a statement line pays it
PAYS_ORDER = "pays_order"                  # flow payment, single and RF lines: a payment of an order
# Reasons: waiting
NOT_RUN = "not_run"                        # stored, not matched yet
FLOW_NOT_ARRIVED = "flow_not_arrived"      # line: the flow it names is not imported yet
LINE_NOT_ARRIVED = "line_not_arrived"      # flow: no statement line pays it yet
# Reasons: anomaly
AMOUNT_DIFFERS = "amount_differs"          # line ≠ flow total, or the line ≠ the amount its text gives
TOTAL_DIFFERS = "total_differs"            # flow: its payments do not add up to its total
UNKNOWN_IUV = "unknown_iuv"                # no payment order has this IUV
UNKNOWN_REFERENCE = "unknown_reference"    # no payment order has this RF
ORDER_NOT_PAYABLE = "order_not_payable"    # the order is cancelled or in another currency
DUPLICATE = "duplicate"                    # a second line for one flow, a second payment for one IUV
PAID_TWICE = "paid_twice"                  # a pagoPA payment for a notice also paid at a counter
TRUNCATED_ID = "truncated_id"              # the line names a flow whose id the bank cut off
REVOKED_PAYMENT = "revoked_payment"        # flow payment outcome 3: the PSP revoked it
# Reasons: ignored
NOT_OURS = "not_ours"                      # a credit whose text names nothing of ours
DEBIT = "debit"                            # money out
REVERSAL = "reversal"                      # the bank reverses a booking
SUPERSEDED = "superseded"                  # flow: a later revision of the same flow was imported
RESOLVED = "resolved"                      # an anomaly a person resolved (reconcile_resolutions)

REASONS = (PAYS_FLOW, PAID_BY_LINE, PAYS_ORDER, NOT_RUN, FLOW_NOT_ARRIVED, LINE_NOT_ARRIVED, AMOUNT_DIFFERS,
           TOTAL_DIFFERS, UNKNOWN_IUV, UNKNOWN_REFERENCE, ORDER_NOT_PAYABLE, DUPLICATE, PAID_TWICE, TRUNCATED_ID,
           REVOKED_PAYMENT, NOT_OURS, DEBIT, REVERSAL, SUPERSEDED, RESOLVED)
