"""Masking of personal data in public lists: the platform's one masking module (jizhen.privacy).
Pure. mask_id is mask_id_number under the name the cases code has always used."""
from __future__ import annotations

from jizhen.privacy import mask_address, mask_id_number, mask_name, mask_phone  # noqa: F401

mask_id = mask_id_number
