from stockcycle.cli import main

raise SystemExit(main())
