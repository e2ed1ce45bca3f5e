import { render } from 'preact';
import './app.css';

const rows = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `job ${i}`, slots: (i % 4) + 1 }));
render(
  <table>
    <thead><tr><th>job</th><th>slots</th></tr></thead>
    <tbody>{rows.map((r) => <tr key={r.id}><td>{r.name}</td><td>{r.slots}</td></tr>)}</tbody>
  </table>,
  document.getElementById('root'),
);
