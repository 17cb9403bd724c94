from dumb_pypi.cli import main

raise SystemExit(main())
