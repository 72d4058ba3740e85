#!/usr/bin/env node
// The installed `lingo-obs` command. A committed file rather than dist/bin.js itself, so that a fresh
// workspace install (before the build) links the command without a "Failed to create bin" warning.
const target = new URL("../dist/bin.js", import.meta.url)
try {
  await import(target.href)
} catch (error) {
  // Only in the workspace before `pnpm build`: a packed package always ships dist/.
  if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(target.pathname)) throw error
  process.stderr.write("lingo-obs: dist/ is not built yet: run `pnpm build` in the lingo-obs repository\n")
  process.exit(1)
}
