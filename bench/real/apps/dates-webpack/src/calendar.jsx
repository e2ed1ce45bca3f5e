// A month view in the app's five languages; formatting patterns are user settings.
import { useState } from 'react';
import { createRoot } from 'react-dom/client';
import * as dateFns from 'date-fns';
import { de, enUS, es, fr, ja } from 'date-fns/locale';
import { chunk } from 'lodash-es';

function Month({ locale, pattern }) {
  const [month, setMonth] = useState(() => dateFns.startOfMonth(new Date()));
  const days = dateFns.eachDayOfInterval({ start: dateFns.startOfWeek(month), end: dateFns.endOfWeek(dateFns.endOfMonth(month)) });
  return (
    <table>
      <caption>
        <button onClick={() => setMonth(dateFns.subMonths(month, 1))}>‹</button>
        {dateFns.format(month, 'LLLL yyyy', { locale })}
        <button onClick={() => setMonth(dateFns.addMonths(month, 1))}>›</button>
      </caption>
      <tbody>
        {chunk(days, 7).map((week) => (
          <tr key={week[0].toISOString()}>{week.map((d) => <td key={d.toISOString()}>{dateFns.format(d, pattern, { locale })}</td>)}</tr>
        ))}
      </tbody>
    </table>
  );
}

const locales = { de, enUS, es, fr, ja };
const settings = JSON.parse(localStorage.getItem('calendar') ?? '{}');
createRoot(document.getElementById('root')).render(<Month locale={locales[settings.locale] ?? locales.enUS} pattern={settings.pattern ?? 'd'} />);
export const fns = dateFns;
