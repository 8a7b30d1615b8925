// The coordinator's input language is the inventory; its users (the server, tests, benchmarks)
// get the inventory types with `import FleetCoordinator`.
@_exported import FleetInventory
