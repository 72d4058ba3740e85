/**
 * `pnpm pack:all <dir>`: packs every public package of the workspace (every line) into `<dir>`,
 * each built by its prepack first, with `workspace:*` ranges replaced by the packed versions. What
 * the tarball tests install, and how to install the toolkit until it is on the npm registry:
 * `npm install <dir>/*.tgz`.
 */
import { spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const ROOT = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "..")

interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
}

/** The workspace's packages under `packages/` that are not private. */
export const publicPackages = (): ReadonlyArray<Manifest> =>
  Fs.readdirSync(Path.join(ROOT, "packages"))
    .map((directory) => Path.join(ROOT, "packages", directory, "package.json"))
    .filter((manifest) => Fs.existsSync(manifest))
    .map((manifest) => JSON.parse(Fs.readFileSync(manifest, "utf8")) as Manifest)
    .filter((manifest) => manifest.private !== true)

/** The file `pnpm pack` writes for a package: `@scope/name` 1.0.0 → `scope-name-1.0.0.tgz`. */
export const tarballName = (manifest: Manifest): string =>
  `${manifest.name.replace(/^@/, "").replace("/", "-")}-${manifest.version}.tgz`

const main = (): number => {
  const [destination, ...extra] = process.argv.slice(2)
  if (destination === undefined || extra.length > 0) {
    process.stderr.write("usage: pnpm pack:all <dir>   (packs every public package into <dir>)\n")
    return 2
  }
  const directory = Path.resolve(process.env["INIT_CWD"] ?? process.cwd(), destination)
  Fs.mkdirSync(directory, { recursive: true })
  const manifests = publicPackages()
  // pnpm itself (the one running this script when it is `pnpm pack:all`), recursive over the
  // public packages: dependencies are built before the packages that import them.
  const pnpm = process.env["npm_execpath"]?.includes("pnpm") ? [process.execPath, process.env["npm_execpath"]] : ["npx", "--yes", "pnpm@10"]
  const filters = manifests.flatMap((manifest) => ["--filter", manifest.name])
  const result = spawnSync(pnpm[0]!, [...pnpm.slice(1), "-r", ...filters, "pack", "--pack-destination", directory], {
    cwd: ROOT,
    stdio: "inherit"
  })
  if (result.status !== 0) {
    process.stderr.write(`pack:all: pnpm pack failed (exit ${result.status ?? result.signal})\n`)
    return 1
  }
  const missing = manifests.filter((manifest) => !Fs.existsSync(Path.join(directory, tarballName(manifest))))
  if (missing.length > 0) {
    process.stderr.write(`pack:all: no tarball in ${directory} for ${missing.map((manifest) => manifest.name).join(", ")}\n`)
    return 1
  }
  process.stdout.write(`pack:all: ${manifests.length} packages packed into ${directory}\n`)
  return 0
}

if (process.argv[1] !== undefined && Path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main()
