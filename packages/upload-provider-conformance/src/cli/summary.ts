// Turns node:test reporter events into one row per group, and formats the rows as a table.

export interface GroupSummary {
  group: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Why cases of this group were skipped: a capability not declared, or an `enforces` switch off. */
  why: string[];
  failures: Array<{ name: string; message: string }>;
}

export interface Summary {
  /** The suite's title. */
  name: string;
  ok: boolean;
  groups: GroupSummary[];
  /** Failures outside any case: the module did not load, `setup` threw, nothing ran. */
  errors: string[];
}

interface TestEvent {
  type: string;
  data: {
    name?: string;
    nesting?: number;
    skip?: boolean | string;
    message?: string;
    details?: { type?: string; error?: { message?: string; failureType?: string; cause?: unknown } };
  };
}

function messageOf(error: { message?: string; cause?: unknown } | undefined): string {
  // node:test wraps the case's error as `cause`; its own causes (a socket error under "fetch failed") say why.
  const parts: string[] = [];
  let current: unknown = error?.cause ?? error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current === 'string') {
      parts.push(current);
      break;
    }
    const { message, code, cause } = current as { message?: string; code?: string; cause?: unknown };
    if (message) parts.push(code && !message.includes(code) ? `${message} (${code})` : message);
    current = cause;
  }
  return (parts.join(': ') || 'failed').trim();
}

/** Collects events as node:test reports them: a `test:start` names its level, results follow their children. */
export class SummaryBuilder {
  private readonly path: string[] = [];
  private readonly groups = new Map<string, GroupSummary>();
  private readonly errors: string[] = [];
  private readonly stderr: string[] = [];
  private name = '';

  add(event: TestEvent): void {
    const { data } = event;
    const level = data.nesting ?? 0;
    if (event.type === 'test:stderr' && data.message) this.stderr.push(data.message);
    if (event.type === 'test:start') {
      this.path.length = level;
      this.path[level] = data.name ?? '';
      if (level === 0 && !this.name) this.name = data.name ?? '';
      return;
    }
    if (event.type !== 'test:pass' && event.type !== 'test:fail') return;
    const error = data.details?.error;
    const ownFailure = event.type === 'test:fail' && error?.failureType !== 'subtestsFailed';
    if (level >= 2) {
      const row = this.row(this.path[1] ?? '');
      if (event.type === 'test:fail') {
        row.failed++;
        row.failures.push({ name: data.name ?? '', message: messageOf(error) });
      } else if (data.skip !== undefined && data.skip !== false) {
        row.skipped++;
        const reason = typeof data.skip === 'string' ? data.skip : 'skipped';
        if (!row.why.includes(reason)) row.why.push(reason);
      } else row.passed++;
    } else if (level === 1 && ownFailure && error?.failureType !== 'cancelledByParent') {
      const row = this.row(data.name ?? '');
      row.failed++;
      row.failures.push({ name: `(${data.name})`, message: messageOf(error) });
    } else if (level === 0 && ownFailure) {
      this.errors.push(messageOf(error));
    }
  }

  summary(): Summary {
    const groups = [...this.groups.values()];
    const ran = groups.some((g) => g.passed > 0);
    const errors = [...this.errors];
    if (errors.length && this.stderr.length) errors.push(this.stderr.join('').trim());
    if (!ran && !errors.length) errors.push('no case ran');
    return { name: this.name, ok: ran && !errors.length && groups.every((g) => g.failed === 0), groups, errors };
  }

  private row(group: string): GroupSummary {
    let row = this.groups.get(group);
    if (!row) {
      row = { group, passed: 0, failed: 0, skipped: 0, why: [], failures: [] };
      this.groups.set(group, row);
    }
    return row;
  }
}

/** A Markdown table (aligned, so it reads in a terminal and pastes into a README), then each failure. */
export function formatTable(summary: Summary): string {
  const head = ['group', 'passed', 'failed', 'skipped', 'why skipped'];
  const total = summary.groups.reduce(
    (t, g) => ({ passed: t.passed + g.passed, failed: t.failed + g.failed, skipped: t.skipped + g.skipped }),
    { passed: 0, failed: 0, skipped: 0 },
  );
  const rows = [
    ...summary.groups.map((g) => [g.group, String(g.passed), String(g.failed), String(g.skipped), g.why.join('; ')]),
    ['**total**', String(total.passed), String(total.failed), String(total.skipped), ''],
  ];
  const widths = head.map((h, i) => Math.max(h.length, 3, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i >= 1 && i <= 3 ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  const out = [summary.name, '', line(head), rule, ...rows.map(line), ''];
  for (const g of summary.groups)
    for (const f of g.failures) out.push(`✖ ${g.group} › ${f.name}`, indent(f.message), '');
  for (const e of summary.errors) out.push(`✖ ${e.split('\n')[0]}`, indent(e.split('\n').slice(1).join('\n')), '');
  out.push(summary.ok ? '✔ conforms' : '✖ does not conform');
  return `${out.filter((l, i, all) => !(l === '' && all[i - 1] === '')).join('\n')}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => `    ${l}`)
    .join('\n');
}
