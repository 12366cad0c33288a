import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { RevenuePoint } from './api.ts';

echarts.use([LineChart, BarChart, GridComponent, TooltipComponent, CanvasRenderer]);

/**
 * Revenue over time (src/analyse's USD estimate from feedback, dashed: its 95% interval) with estimated sales as bars.
 * A time axis: each bucket sits at its first day, so a gap of months with no feedback is drawn as the gap it is.
 */
export function RevenueChart(props: { points: RevenuePoint[]; height?: number }) {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!el.current) return;
    const chart = echarts.init(el.current, undefined, { renderer: 'canvas' });
    const at = (f: (p: RevenuePoint) => number) => props.points.map((p) => [`${p.period}T00:00:00Z`, f(p)]);
    chart.setOption({
      animation: false,
      grid: { left: 60, right: 50, top: 20, bottom: 30 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time' },
      yAxis: [
        { type: 'value', name: 'USD', axisLabel: { formatter: (v: number) => (v >= 1000 ? `${Math.round(v / 1000)}k` : String(v)) } },
        { type: 'value', name: 'sales', splitLine: { show: false } },
      ],
      series: [
        { name: 'revenue (USD)', type: 'line', smooth: true, showSymbol: false, areaStyle: { opacity: 0.15 }, data: at((p) => p.usd), connectNulls: false, color: '#2f6fde' },
        { name: 'sales (est.)', type: 'bar', yAxisIndex: 1, data: at((p) => p.sales), barMaxWidth: 14, color: '#c9d6ee' },
        { name: '95% high', type: 'line', showSymbol: false, lineStyle: { type: 'dashed', width: 1 }, data: at((p) => p.usdHigh), color: '#9bb5e6' },
        { name: '95% low', type: 'line', showSymbol: false, lineStyle: { type: 'dashed', width: 1 }, data: at((p) => p.usdLow), color: '#9bb5e6' },
      ],
    });
    const onResize = () => chart.resize();
    window.addEventListener('resize', onResize);
    return () => {
      window.removeEventListener('resize', onResize);
      chart.dispose();
    };
  }, [props.points]);
  return <div ref={el} className="chart" style={{ height: props.height ?? 260 }} aria-label="revenue over time chart" />;
}
