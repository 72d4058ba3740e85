/**
 * The packaging papercuts stay fixed: bins are committed files (so a fresh install links them
 * before the build, with no "Failed to create bin" warning), `npm pack` stops with one line naming
 * `pnpm pack`, and `pnpm pack:all` says how to call it. Packing itself is proved by the tarball test.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { publicPackages, tarballName } from "../pack-all.js"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")

const manifests = Fs.readdirSync(Path.join(ROOT, "packages"))
  .filter((directory) => Fs.existsSync(Path.join(ROOT, "packages", directory, "package.json")))
  .map((directory) => ({
    directory: Path.join(ROOT, "packages", directory),
    manifest: JSON.parse(Fs.readFileSync(Path.join(ROOT, "packages", directory, "package.json"), "utf8")) as {
      readonly name: string
      readonly private?: boolean
      readonly bin?: Record<string, string>
      readonly files?: ReadonlyArray<string>
    }
  }))

/** This process's environment without what pnpm or vitest set for themselves (npm sets its own). */
const npmEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("npm_") && !name.startsWith("VITEST")))

describe("packaging", () => {
  it("every bin is a committed file that ships in the package, not a file of dist/", () => {
    const bins = manifests.flatMap(({ directory, manifest }) =>
      Object.entries(manifest.bin ?? {}).map(([command, file]) => ({ command, directory, file, files: manifest.files ?? [] }))
    )
    // Two `lingo-obs` commands, one per Effect line (`@lingo-obs/cli` and `lingo-obs`): a project installs one line.
    expect(bins.map((bin) => `${bin.command} ${Path.basename(bin.directory)}`).sort()).toEqual(["lingo-obs cli", "lingo-obs lingo-obs", "lingo-obs-dev dev"])
    for (const bin of bins) {
      expect(bin.file, bin.command).not.toMatch(/^(\.\/)?dist\//)
      expect(Fs.existsSync(Path.join(bin.directory, bin.file)), `${bin.command} → ${bin.file}`).toBe(true)
      expect(bin.files, `${bin.command}'s folder is in "files"`).toContain(bin.file.replace(/^\.\//, "").split("/")[0])
    }
  })

  it("npm pack stops before building, with one line saying to use pnpm pack", () => {
    const directory = Path.join(ROOT, "packages", "logs")
    const before = new Set(Fs.readdirSync(directory))
    const result = spawnSync("npm", ["pack", "--dry-run"], { cwd: directory, env: npmEnv(), encoding: "utf8", timeout: 120_000 })
    expect(result.status).not.toBe(0)
    const lines = result.stderr.split("\n").filter((line) => line.includes("pnpm pack"))
    expect(lines).toEqual(["npm pack keeps workspace:* ranges: use `pnpm pack` here, or `pnpm pack:all <dir>` at the repository root"])
    expect(result.stdout + result.stderr).not.toMatch(/error TS\d+|tsc/)
    expect(Fs.readdirSync(directory).filter((file) => !before.has(file))).toEqual([])
  }, 150_000)

  it("pack:all names every public package's tarball and says how to call it without a directory", () => {
    const names = publicPackages().map(tarballName)
    const expected = manifests.filter(({ manifest }) => manifest.private !== true).length
    expect(names).toHaveLength(expected)
    expect(names).toContain("lingo-obs-observability-0.1.0.tgz")
    const usage = spawnSync(process.execPath, ["--import", "tsx", Path.join(ROOT, "scripts", "pack-all.ts")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000
    })
    expect(usage.status).toBe(2)
    expect(usage.stderr).toBe("usage: pnpm pack:all <dir>   (packs every public package into <dir>)\n")
  }, 90_000)
})
