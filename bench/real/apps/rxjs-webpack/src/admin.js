// The admin page: a websocket feed and ajax calls, with the whole rxjs API.
import * as rx from 'rxjs';
import { ajax } from 'rxjs/ajax';
import { webSocket } from 'rxjs/webSocket';
import { TestScheduler } from 'rxjs/testing';

export function feed(url) {
  const socket = webSocket(url);
  return socket.pipe(rx.retry({ delay: 1000 }), rx.bufferTime(500), rx.filter((b) => b.length > 0));
}
export const save = (url, body) => ajax.post(url, body).pipe(rx.timeout(10000));
export const api = { ...rx, TestScheduler };
