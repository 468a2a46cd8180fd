"""Verification by identity document: kinds of document, submissions and their images, the review kind.

A room of the `verification` app (its models keep the app label `verification`). It imports
moderation, idcheck, accounts and core, never the vouching room.
"""
