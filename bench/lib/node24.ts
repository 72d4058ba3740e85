/**
 * The Node 24 binary the Effect 4 line's children run on (effect 4's platform packages need Node
 * ≥ 22.19; this machine's Node may be older): resolved once through `npx -p node@24`, so that
 * each child is a plain `node` process, not an npx start-up.
 */
import { execFileSync } from "node:child_process"

export const resolveNode24 = (): string => {
  if (process.versions.node.startsWith("24.")) return process.execPath
  const output = execFileSync("npx", ["--yes", "-p", "node@24", "node", "-p", "process.version + ' ' + process.execPath"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"]
  }).trim()
  const [version, ...path] = output.split("\n").pop()!.split(" ")
  if (version === undefined || !version.startsWith("v24.")) throw new Error(`npx -p node@24 gave ${output}, not Node 24`)
  return path.join(" ")
}
