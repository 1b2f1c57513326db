from quota_sim.cli import main

raise SystemExit(main())
