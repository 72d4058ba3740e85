export * as Baggage from "./Baggage.js"
export * as HttpServerMiddleware from "./HttpServerMiddleware.js"
export * as RequestMetrics from "./RequestMetrics.js"
export * as Skipper from "./Skipper.js"
