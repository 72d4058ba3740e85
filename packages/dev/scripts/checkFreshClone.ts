/**
 * The README's path for the repository, checked end to end: a fresh `git clone` of this checkout's
 * HEAD into a temporary folder, the README's install command, then `pnpm dev` on free ports; the
 * viewer's page and bundle must be served (not the "not built" page). Prints the measured times,
 * exits non-zero on any failure, removes the clone.
 *
 *   node --import tsx packages/dev/scripts/checkFreshClone.ts [repository (default: this checkout)]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const PNPM = ["--yes", "pnpm@10"]
const READY_WITHIN_MS = 180_000

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`

/** Resolves to the viewer's URL once `pnpm dev` prints it; rejects if it exits or takes too long. */
const viewerUrl = (child: ChildProcess, output: () => string): Promise<string> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pnpm dev printed no viewer URL within ${READY_WITHIN_MS} ms:\n${output()}`)), READY_WITHIN_MS)
    const check = () => {
      const match = /viewer on (http:\/\/\S+)/.exec(output())
      if (match === null) return
      clearTimeout(timer)
      resolve(match[1]!)
    }
    child.stdout!.on("data", check)
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`pnpm dev exited (${code ?? signal}) before serving:\n${output()}`))
    })
  })

const expectServed = async (url: string, contentType: RegExp, check: (body: string) => string | undefined) => {
  const response = await fetch(url)
  const body = await response.text()
  const type = response.headers.get("content-type") ?? ""
  const problem = response.status !== 200
    ? `HTTP ${response.status}`
    : !contentType.test(type) ? `content-type ${type}` : check(body)
  if (problem !== undefined) throw new Error(`${url}: ${problem}\n${body.slice(0, 400)}`)
  return body
}

const main = async () => {
  const source = process.argv[2] ?? ROOT
  const folder = mkdtempSync(join(tmpdir(), "lingo-obs-fresh-clone-"))
  const clone = join(folder, "repo")
  let dev: ChildProcess | undefined
  try {
    const total = performance.now()
    execFileSync("git", ["clone", "--quiet", source, clone], { stdio: "inherit" })
    const commit = execFileSync("git", ["-C", clone, "rev-parse", "--short", "HEAD"]).toString().trim()
    console.log(`cloned ${source} at ${commit} into ${clone}`)

    const install = performance.now()
    execFileSync("npx", [...PNPM, "install", "--frozen-lockfile"], { cwd: clone, stdio: ["ignore", "ignore", "inherit"] })
    console.log(`npx --yes pnpm@10 install --frozen-lockfile: ${seconds(install)}`)

    const start = performance.now()
    let output = ""
    // Its own process group, so the check stops pnpm, its shell and node together by the group's id.
    dev = spawn("npx", [...PNPM, "dev", "--port", "0", "--grpc-port", "0", "--http-port", "0"], {
      cwd: clone,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"]
    })
    dev.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()))
    dev.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()))
    const url = await viewerUrl(dev, () => output)
    console.log(`npx --yes pnpm@10 dev: viewer on ${url} after ${seconds(start)}`)

    const page = await expectServed(url, /^text\/html/, (body) =>
      /not built/i.test(body) ? "the 'not built' page" : /<script[^>]+src="[^"]*app\.js"/.test(body) ? undefined : "no app.js script tag"
    )
    const bundle = await expectServed(new URL("app.js", url).href, /^text\/javascript/, (body) =>
      body.length > 10_000 ? undefined : `a ${body.length}-byte bundle`
    )
    await expectServed(new URL("app.css", url).href, /^text\/css/, () => undefined)
    console.log(`served: index.html (${page.length} B), app.js (${bundle.length} B), app.css`)
    console.log(`fresh clone to a served viewer: ${seconds(total)}`)
  } finally {
    if (dev?.pid !== undefined && dev.exitCode === null) {
      const exited = new Promise((done) => dev!.once("exit", done))
      process.kill(-dev.pid, "SIGTERM")
      await exited
    }
    rmSync(folder, { recursive: true, force: true })
  }
}

main().catch((error: unknown) => {
  console.error(`fresh clone check failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
})
