export * as ObservabilityTest from "./ObservabilityTest.js"
