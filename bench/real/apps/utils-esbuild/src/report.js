import { formatIn } from './dates.js';
import { summarize } from './collections.js';

export function report(rows, locale) {
  const totals = summarize(rows, 'category');
  return Object.entries(totals).map(([category, value]) => `${formatIn(locale, new Date(0))} ${category}: ${value}`);
}
