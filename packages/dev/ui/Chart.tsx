/** A uPlot time-series chart sized to its container. */
import { useEffect, useRef } from "preact/hooks"
import uPlot from "uplot"

export interface Line {
  readonly label: string
  readonly values: ReadonlyArray<number | null>
  readonly colour: string
}

export const Chart = (props: { title: string; times: ReadonlyArray<number>; lines: ReadonlyArray<Line>; unit?: string; testId?: string }) => {
  const container = useRef<HTMLDivElement>(null)
  useEffect(() => {
    const element = container.current
    if (element === null) return
    const data: uPlot.AlignedData = [props.times.map((time) => time / 1000), ...props.lines.map((line) => [...line.values])]
    const chart = new uPlot(
      {
        title: props.title,
        width: Math.max(element.clientWidth, 280),
        height: 180,
        series: [{}, ...props.lines.map((line) => ({ label: line.label, stroke: line.colour, width: 1.5, spanGaps: true, points: { show: props.times.length < 60 } }))],
        axes: [{}, { label: props.unit ?? "", size: 60 }]
      },
      data,
      element
    )
    return () => chart.destroy()
  }, [props.times, props.lines, props.title])
  return <div class="chart" ref={container} data-testid={props.testId ?? "chart"} />
}
