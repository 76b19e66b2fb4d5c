"""Employer account endpoints: registration, verification evidence, search, favourites, 户档信息."""
from __future__ import annotations
