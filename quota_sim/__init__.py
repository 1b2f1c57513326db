"""quota-sim: allocate scarce land, energy-use and emission quotas across queued projects."""

__version__ = "0.1.0"
