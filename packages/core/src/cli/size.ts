// Sizes as people write them (4G, 512M, 1073741824) and as the daemon prints them: powers of 1024.

/** `512M`, `2G`, `1.5GiB`, `1048576`: a size in bytes (K, M, G, T, P are powers of 1024); undefined if it is none. */
export function parseSize(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?\s*$/i.exec(value);
  if (!m) return undefined;
  const power = ' KMGTP'.indexOf((m[2] || ' ').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** Bytes as one short figure: `4 GiB`, `1.5 GiB`, `512 MiB`. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let n = bytes;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n >= 10 || Number.isInteger(n) ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}
