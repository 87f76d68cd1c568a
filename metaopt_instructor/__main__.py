from metaopt_instructor.command import main

raise SystemExit(main())
