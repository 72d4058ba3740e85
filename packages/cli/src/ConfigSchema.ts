/**
 * `lingo-obs config schema [--out file]`: the JSON Schema of the config file, generated from the
 * config's Effect Schema (the same document `@lingo-obs/core/config.schema.json` ships). Without
 * `--out` it is printed.
 *
 * @example
 * ```sh
 * npx lingo-obs config schema --out observability.schema.json
 * # then, first line of the YAML config:  # yaml-language-server: $schema=./observability.schema.json
 * ```
 */
import * as ConfigSchema from "@lingo-obs/core/ConfigSchema"
import * as CommandLine from "@lingo-obs/otlp/CommandLine"
import type { Output } from "./internal/output.js"

export const run = (out: string | undefined, output: Output): number =>
  CommandLine.printOrWrite(ConfigSchema.text(), out, output)
