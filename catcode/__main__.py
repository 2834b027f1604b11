import sys

from catcode.cli import main

sys.exit(main())
