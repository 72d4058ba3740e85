/**
 * What both tarball tests do in a fresh project: run commands with a clean environment, and count
 * the installed copies of a package.
 */
import { expect } from "@effect/vitest"
import { spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Path from "node:path"

/** The `@opentelemetry/*` packages installed anywhere in `directory`'s tree, nested ones included. */
export const openTelemetryPackages = (directory: string): ReadonlyArray<string> => {
  const names = new Set<string>()
  const visit = (nodeModules: string): void => {
    const scope = Path.join(nodeModules, "@opentelemetry")
    if (Fs.existsSync(scope)) for (const name of Fs.readdirSync(scope)) names.add(`@opentelemetry/${name}`)
    if (!Fs.existsSync(nodeModules)) return
    for (const entry of Fs.readdirSync(nodeModules)) {
      const packages = entry.startsWith("@")
        ? Fs.readdirSync(Path.join(nodeModules, entry)).map((inner) => Path.join(nodeModules, entry, inner))
        : [Path.join(nodeModules, entry)]
      for (const pkg of packages) visit(Path.join(pkg, "node_modules"))
    }
  }
  visit(Path.join(directory, "node_modules"))
  return [...names].sort()
}

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** This process's environment without what pnpm, vitest or a developer's shell set for themselves. */
export const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const kept = Object.entries(process.env).filter((entry): entry is [string, string] => {
    const [name, value] = entry
    if (value === undefined || name.startsWith("OTEL_") || name === "OBSERVABILITY_CONFIG_FILE") return false
    if (name === "INIT_CWD" || name === "NODE_OPTIONS" || name.startsWith("VITEST")) return false
    return !name.startsWith("npm_") || ["npm_config_registry", "npm_config_cache", "npm_config_userconfig"].includes(name)
  })
  return { ...Object.fromEntries(kept), ...extra }
}

export const run = (command: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: cleanEnv(env) })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += String(chunk)))
    child.stderr.on("data", (chunk) => (stderr += String(chunk)))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

export const expectSuccess = (result: Run, what: string): Run => {
  expect(result.code, `${what} failed:\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

/** Every installed copy of `name` under `directory`'s node_modules, nested ones included. */
export const copies = (directory: string, name: string): ReadonlyArray<string> => {
  const found: Array<string> = []
  const visit = (nodeModules: string): void => {
    if (!Fs.existsSync(nodeModules)) return
    if (Fs.existsSync(Path.join(nodeModules, name, "package.json"))) found.push(Path.join(nodeModules, name))
    for (const entry of Fs.readdirSync(nodeModules)) {
      const packages = entry.startsWith("@")
        ? Fs.readdirSync(Path.join(nodeModules, entry)).map((inner) => Path.join(nodeModules, entry, inner))
        : [Path.join(nodeModules, entry)]
      for (const pkg of packages) visit(Path.join(pkg, "node_modules"))
    }
  }
  visit(Path.join(directory, "node_modules"))
  return found
}

/** The versions `npm ls` reports for `name` anywhere in the tree. */
export const listedVersions = async (directory: string, name: string): Promise<ReadonlySet<string>> => {
  const result = await run("npm", ["ls", name, "--all", "--json"], directory)
  const versions = new Set<string>()
  interface Node {
    readonly version?: string
    readonly dependencies?: Record<string, Node>
  }
  const visit = (node: Node): void => {
    for (const [dependency, child] of Object.entries(node.dependencies ?? {})) {
      if (dependency === name && child.version !== undefined) versions.add(child.version)
      visit(child)
    }
  }
  visit(JSON.parse(result.stdout) as Node)
  return versions
}

export const deadPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })
