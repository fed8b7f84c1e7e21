/** `roster fail <check-id>`: marks a TTL check critical (see ttl-check-command.ts). */
import type { Command } from 'commander';
import { ttlCheckCommand } from '../ttl-check-command.js';

/** The `fail` command. */
export function failCommand(): Command {
  return ttlCheckCommand('fail', 'critical');
}
