export * as CorrelatedLogger from "./CorrelatedLogger.js"
export * as Logs from "./Logs.js"
