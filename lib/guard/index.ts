// Leak guard (placeholder; the guard helper fills lib/guard/). Re-exports only.
export {};
