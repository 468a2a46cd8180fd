"""Tests of the vouching room."""
