export * as OtlpReceiver from "./OtlpReceiver.js"
