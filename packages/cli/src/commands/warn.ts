/** `roster warn <check-id>`: marks a TTL check warning (see ttl-check-command.ts). */
import type { Command } from 'commander';
import { ttlCheckCommand } from '../ttl-check-command.js';

/** The `warn` command. */
export function warnCommand(): Command {
  return ttlCheckCommand('warn', 'warning');
}
