/**
 * The config file's JSON Schema: the one document both Effect lines describe their config with,
 * generated from the Effect 3 line's Schema into `schema/observability-config.schema.json` and
 * shipped in this package as `dist/config.schema.json` (`lingo-obs/config.schema.json`). The
 * Effect 4 Schema is held to it by test/ConfigJsonSchema.test.ts.
 */
import * as Fs from "node:fs"

/** Beside the built modules (`dist/cli/internal` → `dist/`), then the repository's, when run from source. */
const CANDIDATES = [
  new URL("../../config.schema.json", import.meta.url),
  new URL("../../../../../schema/observability-config.schema.json", import.meta.url)
]

/** The document as the file holds it: 2-space JSON with a trailing newline. */
export const text = (): string => {
  const found = CANDIDATES.find((candidate) => Fs.existsSync(candidate))
  if (found === undefined) throw new Error("lingo-obs: dist/config.schema.json is missing: rebuild the package")
  return Fs.readFileSync(found, "utf8")
}

/** The document, parsed. */
export const document = (): { readonly [keyword: string]: unknown } => JSON.parse(text()) as { readonly [keyword: string]: unknown }
