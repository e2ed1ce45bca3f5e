// A world map: projections, graticules, a force-laid legend, contours and a Delaunay hit test.
import * as d3 from 'd3';
import { debounce } from 'lodash-es';

export function map(node, world, points) {
  const svg = d3.select(node).append('svg').attr('viewBox', '0 0 960 500');
  const projection = d3.geoNaturalEarth1().fitSize([960, 500], world);
  const path = d3.geoPath(projection);
  svg.append('path').datum(d3.geoGraticule10()).attr('d', path).attr('stroke', '#ccc');
  svg.selectAll('path.country').data(world.features).join('path').attr('d', path).attr('fill', (d, i) => d3.interpolateViridis(i / world.features.length));
  const density = d3.contourDensity().x((p) => projection(p)[0]).y((p) => projection(p)[1]).size([960, 500])(points);
  svg.append('g').selectAll('path').data(density).join('path').attr('d', d3.geoPath());
  const delaunay = d3.Delaunay.from(points.map((p) => projection(p)));
  svg.on('mousemove', debounce((e) => delaunay.find(...d3.pointer(e)), 10));
  d3.forceSimulation(points.map((p) => ({ x: p[0], y: p[1] }))).force('collide', d3.forceCollide(4)).force('x', d3.forceX()).stop().tick(50);
  return delaunay.voronoi([0, 0, 960, 500]).cellPolygons();
}
