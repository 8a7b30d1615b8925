import FleetctlCore

await FleetctlMain.main()
