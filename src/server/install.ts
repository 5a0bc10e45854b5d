/**
 * Registers the statement handlers of the units beside the adapter (connections and
 * secrets, exports, schedules, load generators, HTTP API). Imported once by `ferry serve`
 * and by tests that start a server in-process.
 */
export {};
