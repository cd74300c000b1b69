from vaultsync.cli import main

raise SystemExit(main())
