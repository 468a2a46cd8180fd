"""Verification by three friends: cases, requests, eligibility, risk flags, accountability, the review kind.

A room of the `verification` app (its models keep the app label `verification`). Besides moderation,
social, accounts and core it may use the documents room's public names (the kinds of document and
their number rules, whether a document is under review), never the other way round.
"""
