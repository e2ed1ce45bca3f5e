import { chunk, debounce, groupBy } from 'lodash-es';
import './style.css';

const jobs = Array.from({ length: 40 }, (_, i) => ({ id: i, kind: ['esbuild', 'webpack', 'vite'][i % 3] }));
const byKind = groupBy(jobs, 'kind');
const pages = chunk(jobs, 10);
const log = debounce(() => console.log(Object.keys(byKind), pages.length), 10);
document.body.insertAdjacentHTML('beforeend', `<h1>webpack app</h1><p>${pages.length} pages</p>`);
log();
