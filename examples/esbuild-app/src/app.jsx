import { render } from 'preact';
import { useState } from 'preact/hooks';
import './app.css';

function Counter({ start }) {
  const [n, setN] = useState(start);
  return (
    <button class="counter" onClick={() => setN(n + 1)}>
      clicked {n} times
    </button>
  );
}

render(<main><h1>esbuild app</h1><Counter start={0} /></main>, document.getElementById('root'));
