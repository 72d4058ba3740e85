/** The TLS files of a signal's config, read: what either transport hands to Node's TLS. */
export interface TlsMaterial {
  readonly ca?: Buffer | undefined
  readonly key?: Buffer | undefined
  readonly cert?: Buffer | undefined
}
