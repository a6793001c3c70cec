"""Touches that log themselves: mail capture and interview invite import (above the store and the cadence)."""
