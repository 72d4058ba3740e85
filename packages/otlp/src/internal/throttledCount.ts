/**
 * A count reported at most once per interval: the first occurrence is reported after a short
 * delay (so a burst is one line, not "1"), later ones are summed and reported when the interval
 * has passed since the last report. Plain timers, unref'd, so nothing keeps a process alive.
 */
export class ThrottledCount {
  private pending = 0
  private detail: string | undefined
  private lastReportAt: number | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly options: {
      readonly intervalMillis: number
      readonly firstDelayMillis: number
      /** Called with the count since the last report and the latest detail given. */
      readonly report: (count: number, detail: string | undefined) => void
    }
  ) {}

  add(count: number, detail?: string | undefined): void {
    if (count <= 0) return
    this.pending += count
    if (detail !== undefined) this.detail = detail
    if (this.timer !== undefined) return
    const due = this.lastReportAt === undefined
      ? this.options.firstDelayMillis
      : this.options.intervalMillis - (Date.now() - this.lastReportAt)
    if (due <= 0) this.flush()
    else this.timer = setTimeout(() => this.flush(), due).unref()
  }

  /** Reports what is pending now (at shutdown, say), whatever the interval. */
  flush(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending === 0) return
    const count = this.pending
    this.pending = 0
    this.lastReportAt = Date.now()
    this.options.report(count, this.detail)
  }

  /** Forgets what is pending and stops the timer. */
  stop(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    this.pending = 0
  }
}
