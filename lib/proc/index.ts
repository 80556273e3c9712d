// Filled in by the /proc issue.
export {};
