/** Where a command writes (the engine's `CommandLine.Output`); tests capture it. */
export { type Output, processOutput } from "@lingo-obs/otlp/CommandLine"
