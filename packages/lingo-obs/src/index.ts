export * as Config from "./config/Config.js"
export * as ConfigSource from "./config/ConfigSource.js"
export * as ObservabilityTest from "./ObservabilityTest.js"
export * as Tracing from "./tracing/Tracing.js"
