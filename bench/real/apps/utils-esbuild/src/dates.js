// Every date-fns function and locale, behind one formatter.
import * as dateFns from 'date-fns';
import * as locales from 'date-fns/locale';

export { dateFns, locales };
export function formatIn(localeName, date, pattern = 'PPPP') {
  return dateFns.format(date, pattern, { locale: locales[localeName] ?? locales.enUS });
}
