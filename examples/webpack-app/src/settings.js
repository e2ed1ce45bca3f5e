import { merge, cloneDeep, isEqual } from 'lodash-es';
import './style.css';

const defaults = { jobs: 4, style: 'fifo', trace: false };
const saved = merge(cloneDeep(defaults), JSON.parse(localStorage.getItem('settings') ?? '{}'));
document.body.textContent = isEqual(saved, defaults) ? 'defaults' : JSON.stringify(saved);
