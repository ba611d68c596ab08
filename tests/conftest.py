"""The tests mirror the package's folders; helpers.py and contracts.py beside this file serve them all."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
