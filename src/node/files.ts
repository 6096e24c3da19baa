/**
 * Reading the text files and stdin the CLI is pointed at, with errors that name the path and say
 * what to do. Parsing is the core's job (`src/core/processbench.ts`); this only gets the text.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * The UTF-8 text of `file`; `what` says in the message what the file was for.
 *
 * @example
 * readTextFile('data/gsm8k.json', '--data'); // '[{"id": "gsm8k-0", ...'
 * readTextFile('nope.json', '--data'); // Error: --data: no such file: /abs/nope.json
 */
export function readTextFile(file: string, what: string): string {
  const abs = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`${what}: no such file: ${abs}; check the path.`, { cause: e });
    throw new Error(`${what}: cannot read ${abs}: ${(e as Error).message}`, { cause: e });
  }
  if (stat.isDirectory()) throw new Error(`${what}: ${abs} is a folder; give a file.`);
  try {
    return fs.readFileSync(abs, 'utf8');
  } catch (e) {
    throw new Error(`${what}: cannot read ${abs}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * All of stdin as UTF-8 text (for `--problem -` / `--solution -`).
 *
 * @example
 * const solution = await readStdin(process.stdin); // e.g. from `cat sol.txt | prm score --solution - ...`
 */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  if ((stream as NodeJS.ReadStream).isTTY) {
    throw new Error("'-' reads from stdin, but stdin is a terminal; pipe the text in or pass it directly.");
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
