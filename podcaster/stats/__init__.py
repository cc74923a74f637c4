"""Audience figures: downloads counted from access logs by the IAB rules, keeping only aggregates."""
