// `jobslot status`: who holds what of the user's `jobslot serve` right now.
import { formatSize } from './size.js';
import { askDaemon, type DaemonInfo } from './daemon-ask.js';

function clock(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatStatus(info: DaemonInfo, now = Date.now()): string {
  const held = info.clients.reduce((n, c) => n + c.tokens, 0);
  const limits: string[] = [];
  if (info.loadAverage !== undefined) limits.push(`load average ${info.loadAverage} (now ${info.load.toFixed(2)})`);
  if (info.minMemory !== undefined) limits.push(`min memory ${formatSize(info.minMemory)} (available ${formatSize(info.available)})`);
  const lines = [
    `jobslot serve -j ${info.jobs}: pid ${info.pid}, up ${duration(now - info.since)}, ${info.fifo}`,
    `tokens: ${info.free} free, ${held} held by jobslot processes, ${info.unattributed} read by others (make, cargo, ninja)${info.heldBack ? `, ${info.heldBack} held back` : ''}`,
    `limits: ${limits.length ? limits.join('; ') : 'none (--load-average, --min-memory)'}`,
  ];
  if (info.builds) lines.push(`builds (jobslot run): ${info.builds}, each keeping at most ${info.share} slot${info.share === 1 ? '' : 's'} while the others run`);
  if (info.clients.length) {
    lines.push('PID      TOKENS  SINCE     COMMAND');
    for (const c of [...info.clients].sort((a, b) => a.since - b.since)) {
      lines.push(`${String(c.pid).padEnd(8)} ${String(c.tokens).padEnd(7)} ${clock(c.since)}  ${c.command}`);
    }
  } else {
    lines.push('no jobslot process is connected');
  }
  if (info.fifoOpenBy?.length) {
    lines.push(`fifo open in: ${info.fifoOpenBy.map((p) => `${p.pid} (${p.command})`).join(', ')}`);
  }
  return lines.join('\n');
}

export async function printStatus(options: { json?: boolean } = {}): Promise<void> {
  const asked = await askDaemon('status');
  if (!asked.ok) {
    process.stderr.write(`jobslot status: ${asked.error}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${options.json ? JSON.stringify(asked.info) : formatStatus(asked.info)}\n`);
}
