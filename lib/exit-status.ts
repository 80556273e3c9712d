// Filled in by the foundation issue: decodeWaitStatus and the ExitStatus union.
export {};
