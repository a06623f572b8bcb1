"""DVC stage `collect` (see dvc.yaml): a thin wrapper over the library."""

import sys

from akhbar.stagecli import main

if __name__ == "__main__":
    sys.exit(main("collect"))
