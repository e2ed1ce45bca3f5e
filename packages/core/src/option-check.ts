// Option checks for the plugins, as JavaScript callers pass options (no type
// checker to catch a typo): a TypeError that names the package, the option and
// what it allows. One copy for every plugin that validates by hand (webpack's
// uses schema-utils, as webpack plugins do).

export interface OptionCheck {
  /** Throws unless `options` is a plain object whose keys are all known. */
  object(options: unknown): asserts options is Record<string, unknown>;
  /** The TypeError for `option` holding `value` where `allowed` was expected. */
  invalid(option: string, allowed: string, value: unknown): TypeError;
  /** Whether `value` is an object with these methods. */
  hasMethods(value: unknown, names: string[]): boolean;
}

/** How a value looks in a message: a string quoted, a number as is, anything else by kind. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

/** The checks for `pkg`'s options, whose known keys are `known`. */
export function optionCheck(pkg: string, known: readonly string[]): OptionCheck {
  return {
    object(options: unknown): asserts options is Record<string, unknown> {
      if (typeof options !== 'object' || options === null || Array.isArray(options)) {
        throw new TypeError(`${pkg}: the options must be an object, got ${describe(options)}`);
      }
      for (const key of Object.keys(options)) {
        if (!known.includes(key)) {
          throw new TypeError(`${pkg}: unknown option \`${key}\`; the options are ${known.map((k) => `\`${k}\``).join(', ')}`);
        }
      }
    },
    invalid(option, allowed, value) {
      return new TypeError(`${pkg}: option \`${option}\` must be ${allowed}, got ${describe(value)}`);
    },
    hasMethods(value, names) {
      return typeof value === 'object' && value !== null && names.every((n) => typeof (value as Record<string, unknown>)[n] === 'function');
    },
  };
}
