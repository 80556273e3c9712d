// Filled in by the issue that owns this concern.
export {};
