/** `roster pass <check-id>`: marks a TTL check passing (see ttl-check-command.ts). */
import type { Command } from 'commander';
import { ttlCheckCommand } from '../ttl-check-command.js';

/** The `pass` command. */
export function passCommand(): Command {
  return ttlCheckCommand('pass', 'passing');
}
