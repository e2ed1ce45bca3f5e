// An agenda grouped and sorted with lodash, dates in words.
import { createRoot } from 'react-dom/client';
import * as _ from 'lodash-es';
import { formatDistanceToNow, parseISO, isToday, compareAsc } from 'date-fns';

function Agenda({ events }) {
  const byDay = _.groupBy(_.sortBy(events, (e) => e.start), (e) => e.start.slice(0, 10));
  return (
    <ul>
      {Object.entries(byDay).map(([day, list]) => (
        <li key={day} className={isToday(parseISO(day)) ? 'today' : ''}>
          {day}: {list.sort((a, b) => compareAsc(parseISO(a.start), parseISO(b.start))).map((e) => `${e.title} (${formatDistanceToNow(parseISO(e.start))})`).join(', ')}
        </li>
      ))}
    </ul>
  );
}

createRoot(document.getElementById('agenda')).render(<Agenda events={JSON.parse(document.body.dataset.events ?? '[]')} />);
export const lodash = _;
