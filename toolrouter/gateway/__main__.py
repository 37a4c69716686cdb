"""``python -m toolrouter.gateway --config servers.json ...``: the same as ``toolrouter mcp ...``."""

import sys

from toolrouter.cli import app

app(["mcp", *sys.argv[1:]], prog_name="python -m toolrouter.gateway")
