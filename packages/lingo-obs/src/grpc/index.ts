/**
 * `lingo-obs/grpc`: gRPC servers and clients (`@grpc/grpc-js`) whose handlers and calls are
 * Effect 4 Effects and Streams, traced and measured; and, for existing grpc-js code, the engine's
 * client interceptor and handler wrapper, which give the same spans and metrics through the
 * OpenTelemetry API the Observability layer registers.
 */
export * as GrpcClient from "./GrpcClient.js"
export * as GrpcInterceptors from "@lingo-obs/otlp/GrpcInterceptors"
export * as GrpcServer from "./GrpcServer.js"
export * as GrpcStatus from "./GrpcStatus.js"
export * as RpcMetrics from "./RpcMetrics.js"
