/**
 * What the middleware records of URLs, made safe to store: the engine's rules, shared with the
 * Effect 4 line.
 */
export { redactQuery, redactUrl } from "@lingo-obs/otlp/HttpRequestAttributes"
