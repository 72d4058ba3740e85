/**
 * `lingo-obs/grpc`: gRPC servers and clients (`@grpc/grpc-js`) whose handlers and calls are
 * Effect 4 Effects and Streams, traced and measured.
 */
export * as GrpcClient from "./GrpcClient.js"
export * as GrpcServer from "./GrpcServer.js"
export * as GrpcStatus from "./GrpcStatus.js"
export * as RpcMetrics from "./RpcMetrics.js"
