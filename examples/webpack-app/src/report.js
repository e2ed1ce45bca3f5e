import { sortBy, sumBy, template } from 'lodash-es';
import './style.css';

const rows = sortBy(Array.from({ length: 25 }, (_, i) => ({ name: `build ${i}`, ms: (i * 37) % 101 })), 'ms');
const render = template('<li><%- name %>: <%- ms %> ms</li>');
document.body.innerHTML = `<ul>${rows.map((r) => render(r)).join('')}</ul><p>total ${sumBy(rows, 'ms')} ms</p>`;
