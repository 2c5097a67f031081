"""Moved to jizhen.geotypes (the platform); this name keeps old imports working."""
from jizhen.geotypes import Geometry, PostGISGeometry, UTCDateTime, utcnow  # noqa: F401
