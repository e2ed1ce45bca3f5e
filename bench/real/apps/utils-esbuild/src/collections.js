// Every lodash-es function, plus a few helpers built on them.
import * as _ from 'lodash-es';

export { _ };
export const indexBy = (rows, key) => _.keyBy(rows, key);
export const summarize = (rows, key) => _.mapValues(_.groupBy(rows, key), (group) => _.sumBy(group, 'value'));
