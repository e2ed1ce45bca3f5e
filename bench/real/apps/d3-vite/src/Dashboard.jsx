// Charts drawn by d3 inside React components; the chart kinds are chosen at run time, so all of d3 ships.
import { useEffect, useRef } from 'react';
import * as d3 from 'd3';

const data = d3.range(200).map((i) => ({ x: i, y: Math.sin(i / 10) * 50 + d3.randomNormal(0, 5)() }));

function Chart({ kind }) {
  const ref = useRef(null);
  useEffect(() => {
    const svg = d3.select(ref.current).attr('viewBox', '0 0 600 300');
    const x = d3.scaleLinear().domain(d3.extent(data, (d) => d.x)).range([40, 580]);
    const y = d3.scaleLinear().domain(d3.extent(data, (d) => d.y)).nice().range([280, 20]);
    svg.append('g').attr('transform', 'translate(0,280)').call(d3.axisBottom(x));
    svg.append('g').attr('transform', 'translate(40,0)').call(d3.axisLeft(y));
    const curve = d3[`curve${kind}`] ?? d3.curveLinear;
    svg.append('path').datum(data).attr('fill', 'none').attr('stroke', d3.schemeTableau10[0])
      .attr('d', d3.line().x((d) => x(d.x)).y((d) => y(d.y)).curve(curve));
    svg.call(d3.zoom().on('zoom', (e) => svg.attr('transform', e.transform)));
    return () => svg.selectAll('*').remove();
  }, [kind]);
  return <svg ref={ref} />;
}

function Map() {
  const ref = useRef(null);
  useEffect(() => {
    const projection = d3.geoMercator().scale(100);
    const graticule = d3.geoGraticule10();
    d3.select(ref.current).append('path').attr('d', d3.geoPath(projection)(graticule));
    const root = d3.hierarchy({ children: data.map((d) => ({ value: Math.abs(d.y) })) }).sum((d) => d.value);
    d3.treemap().size([600, 300])(root);
    const sim = d3.forceSimulation(data.slice(0, 20)).force('charge', d3.forceManyBody()).stop();
    sim.tick(10);
  }, []);
  return <svg ref={ref} />;
}

export function Dashboard() {
  return (
    <main>
      {['Linear', 'Basis', 'Cardinal', 'MonotoneX', 'Step'].map((k) => <Chart key={k} kind={k} />)}
      <Map />
      <p>{d3.format(',.2f')(d3.sum(data, (d) => d.y))} at {d3.timeFormat('%Y-%m-%d')(new Date(0))}</p>
    </main>
  );
}
