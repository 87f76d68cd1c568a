from metaopt_lib.cli import main

raise SystemExit(main())
