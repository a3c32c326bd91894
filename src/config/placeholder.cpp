// Placeholder so the module library links before its sources land; delete when it has real sources.
