import signal
import sys


def _interrupted_early(signum, frame):
    # Ctrl-C while crm is still starting (importing): nothing has been read or written yet.
    sys.stderr.write("Error: interrupted before anything was done\n")
    sys.exit(130)


signal.signal(signal.SIGINT, _interrupted_early)
from crm.cli import main  # noqa: E402

signal.signal(signal.SIGINT, signal.default_int_handler)
main()
