import dayjs from 'dayjs';
import { marked } from 'marked';
import './style.css';

const notes = `# vite app\n\nBuilt at **${dayjs().format('YYYY-MM-DD HH:mm')}** under one make token pool.\n\n- esbuild\n- webpack\n- vite`;
document.querySelector<HTMLDivElement>('#app')!.innerHTML = await marked.parse(notes);
