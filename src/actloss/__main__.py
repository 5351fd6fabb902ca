from actloss.cli import main

raise SystemExit(main())
