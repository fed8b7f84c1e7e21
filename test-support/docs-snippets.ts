/**
 * The pieces of the docs test (docs-snippets.test.ts): finding the fenced code blocks of a
 * Markdown file, what to do with each, the port rewriting, and matching a `console` block's
 * expected output.
 *
 * Conventions (README.md "Docs that run" and docs/ARCHITECTURE.md):
 * - `sh`/`bash`/`shell` blocks run as one bash script; `console` blocks are `$ command` lines,
 *   each followed by its expected output (`...` matches anything); `ts`/`js` blocks run as ESM.
 * - `<!-- not-run: <reason> -->` on the line right before the opening fence skips a block.
 * - `<!-- run: background -->` there starts the block and keeps it running while the following
 *   blocks of the same file run; it is stopped (SIGTERM) after the last one.
 * - Blocks without a language, and `text`/`json`/`yaml`/`proto`/`diff`, are shown data (output,
 *   diagrams, file formats), not code. Any other language must be marked not-run.
 */

/** What the docs test does with a block. */
export type BlockKind = 'shell' | 'console' | 'module' | 'data' | 'unknown';

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** The file, as given. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word, lower case ('' when none). */
  readonly lang: string;
  readonly kind: BlockKind;
  /** The block's text, without the fences. */
  readonly code: string;
  /** The reason given by `<!-- not-run: reason -->`, when the block is marked so. */
  readonly notRun?: string;
  /** Marked `<!-- run: background -->`. */
  readonly background: boolean;
}

const KINDS: Record<string, BlockKind> = {
  sh: 'shell',
  bash: 'shell',
  shell: 'shell',
  console: 'console',
  ts: 'module',
  typescript: 'module',
  js: 'module',
  javascript: 'module',
  mjs: 'module',
  '': 'data',
  text: 'data',
  json: 'data',
  yaml: 'data',
  proto: 'data',
  diff: 'data',
};

/** Every fenced (```) code block of `markdown`; fences inside a block do not nest. */
export function extractBlocks(file: string, markdown: string): DocBlock[] {
  const lines = markdown.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const lang = open[3]!.toLowerCase();
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence); i++) body.push(lines[i]!);
    const before = start > 0 ? lines[start - 1]!.trim() : '';
    const notRun = /^<!--\s*not-run:\s*(.*?)\s*-->$/.exec(before)?.[1];
    blocks.push({
      file,
      line: start + 1,
      lang,
      kind: KINDS[lang] ?? 'unknown',
      code: body.join('\n'),
      ...(notRun === undefined ? {} : { notRun }),
      background: /^<!--\s*run:\s*background\s*-->$/.test(before),
    });
  }
  return blocks;
}

/** One command of a console block and the output it must print. */
export interface ConsoleStep {
  readonly command: string;
  readonly expected: string;
}

/** Splits a console block into `$ command` steps (a trailing `\` continues the command). */
export function consoleSteps(code: string): ConsoleStep[] {
  const steps: { command: string; expected: string[] }[] = [];
  const lines = code.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('$ ')) {
      let command = line.slice(2);
      while (command.endsWith('\\') && i + 1 < lines.length) command = `${command}\n${lines[++i]!}`;
      steps.push({ command, expected: [] });
    } else if (steps.length > 0) {
      steps[steps.length - 1]!.expected.push(line);
    } else if (line.trim() !== '') {
      throw new Error(`console block: output before the first "$ " command: ${line}`);
    }
  }
  return steps.map((s) => ({ command: s.command, expected: s.expected.join('\n').trimEnd() }));
}

/**
 * True when `actual` matches `expected`: the same text line by line (trailing blanks ignored),
 * where `...` stands for any text (also across lines).
 */
export function outputMatches(expected: string, actual: string): boolean {
  const normalize = (s: string) =>
    s
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trim();
  const parts = normalize(expected).split('...');
  const pattern = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*');
  return new RegExp(`^${pattern}$`).test(normalize(actual));
}

/** Replaces each port of `ports` (a whole number, not part of a longer one) by its new value. */
export function rewritePorts(code: string, ports: ReadonlyMap<number, number>): string {
  let out = code;
  for (const [from, to] of ports) out = out.replace(new RegExp(`(?<![\\d.])${from}(?![\\d])`, 'g'), String(to));
  return out;
}
