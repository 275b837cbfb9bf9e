"""Runs one pytest file for ctest; exits 77 (ctest's skip) when numpy,
pytest or the built crema module is missing."""
import sys

try:
    import numpy  # noqa: F401
    import pytest
    import crema  # noqa: F401
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(77)

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", sys.argv[1]]))
