/**
 * `pnpm dev` in the repository: builds the viewer (esbuild, about a second, so a fresh clone
 * serves it and UI edits show on the next start), then runs `lingo-obs dev` from the sources in
 * this same process, so Ctrl-C reaches it directly and it exits cleanly.
 *
 *   node --import tsx --conditions=@lingo-obs/source packages/dev/scripts/devFromSource.ts [dev options]
 */
import { buildUi } from "./buildUi.js"

await buildUi()
// The CLI's executable reads its command from argv: run it as `lingo-obs dev [options]`.
process.argv.splice(2, 0, "dev")
await import("../../cli/src/bin.js")
