export * as OtlpReceiver from "./OtlpReceiver.js"
export * as LocalOrigin from "./LocalOrigin.js"
