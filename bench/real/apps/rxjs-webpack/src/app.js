// A live status board: every rxjs operator is available to user-written pipelines.
import * as rx from 'rxjs';
import * as operators from 'rxjs/operators';
import { fromFetch } from 'rxjs/fetch';

export const ops = operators;

export function board(element, urls) {
  const refresh$ = rx.merge(rx.interval(5000), rx.fromEvent(element, 'click')).pipe(operators.startWith(0));
  return refresh$.pipe(
    operators.switchMap(() => rx.forkJoin(urls.map((u) => fromFetch(u).pipe(operators.switchMap((r) => r.json()), operators.catchError(() => rx.of(null)))))),
    operators.map((results) => results.filter(Boolean)),
    operators.distinctUntilChanged((a, b) => JSON.stringify(a) === JSON.stringify(b)),
    operators.shareReplay({ bufferSize: 1, refCount: true }),
  ).subscribe((rows) => {
    element.innerHTML = rows.map((r) => `<div class="tile">${r.name}: ${r.status}</div>`).join('');
  });
}

export function pipeline(names) {
  return (source) => names.reduce((s, [name, ...args]) => s.pipe(operators[name](...args)), source);
}
