// Supervisor and daemonize (placeholder; the supervise helper fills lib/supervise/). Re-exports only.
export {};
