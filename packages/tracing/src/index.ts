export * as Tracing from "./Tracing.js"
export * as TracingTest from "./TracingTest.js"
