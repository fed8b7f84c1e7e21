/** Bad arguments of `roster pass / warn / fail` are usage errors (exit 2), checked before any request. */
import { describe, expect, it } from 'vitest';
import { closedPort, runCli } from './test-support.js';

describe('roster pass / warn / fail: bad input', () => {
  it('an empty check id exits 2, naming it', async () => {
    const port = await closedPort();
    const result = await runCli(['pass', '', '--registry', `consul://127.0.0.1:${port}`]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/check-id: must not be empty/);
  });

  it('a token that cannot be sent in a header exits 2, not 4 ("is it running?")', async () => {
    const port = await closedPort();
    const result = await runCli(['warn', 'web-1', '--registry', `consul://127.0.0.1:${port}`], { CONSUL_HTTP_TOKEN: 'tok\u00e9n' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/CONSUL_HTTP_TOKEN/);
  });

  it('credentials in the registry URL exit 2 with what is wrong', async () => {
    const result = await runCli(['fail', 'web-1', '--registry', 'consul://user:pw@127.0.0.1:8500']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/credentials/);
  });
});
