import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import type { Output } from "../src/internal/output.js"

/** An output that keeps what a command wrote. */
export const capture = (): Output & { readonly out: () => string; readonly err: () => string } => {
  const stdout: Array<string> = []
  const stderr: Array<string> = []
  return {
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
    out: () => stdout.join("\n"),
    err: () => stderr.join("\n")
  }
}

export const tempDirectory = (prefix: string): string => Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))

/** Writes a YAML config whose signals all export to `endpoint` with the given extra fields. */
export const writeConfig = (directory: string, sections: Record<string, Record<string, unknown>>): string => {
  const file = Path.join(directory, `config-${Math.random().toString(36).slice(2)}.yaml`)
  Fs.writeFileSync(file, JSON.stringify({ observability: sections }, null, 2))
  return file
}

/** A port nothing listens on: bound, then released. */
export const deadPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = Net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as Net.AddressInfo
      server.close(() => resolve(port))
    })
  })

export const hasOpenssl = (() => {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()

export interface Certificates {
  readonly directory: string
  /** The CA that signed the server certificate. */
  readonly ca: string
  /** A CA that signed nothing the server presents. */
  readonly otherCa: string
  readonly serverCert: Buffer
  readonly serverKey: Buffer
}

/** A CA, a server certificate for 127.0.0.1/localhost signed by it, and an unrelated CA; made with openssl. */
export const makeCertificates = (): Certificates => {
  const directory = tempDirectory("lingo-obs-tls-")
  const file = (name: string) => Path.join(directory, name)
  const openssl = (...args: Array<string>) => execFileSync("openssl", args, { cwd: directory, stdio: "pipe" })
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
  for (const name of ["ca", "other-ca"]) {
    openssl("req", "-x509", ...ec, "-keyout", `${name}.key`, "-out", `${name}.pem`, "-subj", `/CN=lingo-obs test ${name}`, "-days", "2")
  }
  openssl("req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=lingo-obs test collector")
  Fs.writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
  openssl(
    "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
    "-out", "server.pem", "-days", "2", "-extfile", "san.ext"
  )
  return {
    directory,
    ca: file("ca.pem"),
    otherCa: file("other-ca.pem"),
    serverCert: Fs.readFileSync(file("server.pem")),
    serverKey: Fs.readFileSync(file("server.key"))
  }
}
