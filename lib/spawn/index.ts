// Filled in by the spawn issue.
export {};
