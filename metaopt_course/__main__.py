from metaopt_course.cli import main

raise SystemExit(main())
